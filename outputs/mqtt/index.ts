import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttSettings } from '../../lib/config/schema.js';
import type { Batch, NewestDates } from '../../lib/domain.js';
import { describeError, type GlucoHubError } from '../../lib/errors.js';
import { describeAhead, isFuture } from '../../lib/future.js';
import type { Logger } from '../../lib/logger.js';
import { serial } from '../../lib/serial.js';
import { backoffMs, clampDelay, type BackoffPolicy } from '../../lib/time.js';
import { packageVersion } from '../../lib/version.js';
import type { Output, StoreResult } from '../../lib/contracts/output.js';
import { connectionPlan, type ConnectionPlan } from './connection.js';
import { mqttError } from './errors.js';
import { isRefusal, publishAcknowledged, refusal, waitForFirstConnect } from './link.js';
import { birthDelayMs, isBirthMessage } from './birth.js';
import { discoveryMessages, retainedConfigFilter, retractMessages, type RetainedConfig } from './discovery.js';
import { newerExpiry, sensorExpiryOf, type SensorExpiry } from '../../lib/sensor-expiry.js';
import { emptyCounters, glucosePayload, healthPayload, isReading, plan, sensorPayload, statsPayload, statusPayload, type Reading } from './payloads.js';
import { staleState } from './stale.js';
import { glucosePayloadSchema, MQTT_TOPICS, topicOf, type MqttTopic, type MqttTopics } from './topics.js';

/**
 * The MQTT output: readings to `<prefix>/glucose` (newest, retained, never backwards) and
 * `<prefix>/glucose/history` (all, oldest first), freshness on `<prefix>/status`, liveness on
 * `<prefix>/_health` (last will), counters on `<prefix>/_stats`; optional Home Assistant
 * discovery (`announce`). `store` resolves only once the broker acknowledged every publish and
 * throws a coded error otherwise, so the dead-letter queue (`outputs/reliable/`) keeps the batch.
 */

export interface MqttDeps {
  now: () => number;
  log: Logger;
  bridgeId: string;
  /** Source kind, in every reading. */
  source: string;
  /** The pinned patient's name or id, if the source settings have one. */
  patient?: string | undefined;
  /** MQTT v5 will delay (default 5 s: a quick reconnect shows no "offline" blip). */
  willDelaySeconds?: number;
  /** Wait after Home Assistant's birth message before re-announcing (default 1–5 s at random, as Home Assistant's docs ask). */
  birthDelayMs?: () => number;
  /** `status` and `_stats` are republished this often (default 60 s). */
  refreshMs?: number;
  /** Reconnect delays (default 1 s doubling to 60 s, with jitter). */
  reconnect?: BackoffPolicy;
  /** How long `start` waits for the first ConnAck before carrying on unconnected (default 10 s). */
  startTimeoutMs?: number;
  rand?: () => number;
  readFile?: (path: string) => Buffer;
  /** `mqtt.connect`; tests pass a wrapper to reach the client (and kill its socket). */
  connect?: (url: string, options: IClientOptions) => MqttClient;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 60_000 };
const REFRESH_MS = 60_000;
/** How long retained discovery configs are collected after subscribing, at connect. */
const RECONCILE_WAIT_MS = 1_000;
/** Identifiers of readings published lately, so a resend after a partial store repeats nothing. */
const REMEMBERED = 5_000;

class MqttOutput implements Output {
  readonly name = 'mqtt';
  readonly #s: MqttSettings;
  readonly #d: MqttDeps;
  readonly #log: Logger;
  readonly #counters = emptyCounters();
  readonly #published = new Set<string>();
  #plan: ConnectionPlan | undefined;
  #client: MqttClient | undefined;
  /** Newest reading date on `<prefix>/glucose`: published by us or found retained there. */
  #newest: number | undefined;
  #warnedFuture = false;
  #startedMs = 0;
  #attempts = 0;
  #lastProblem: string | undefined;
  /** The broker refused our CONNECT (credentials, version): stores fail with this until it accepts. */
  #refused: GlucoHubError | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #staleTimer: NodeJS.Timeout | undefined;
  readonly #birthTimers = new Set<NodeJS.Timeout>();
  #sensor: SensorExpiry | undefined;
  #sensorSentMs: number | undefined;
  readonly #serial = serial();
  #stopping = false;

  constructor(settings: MqttSettings, deps: MqttDeps) {
    this.#s = settings;
    this.#d = deps;
    this.#log = deps.log.child({ output: 'mqtt' });
  }

  async start(): Promise<void> {
    this.#plan = connectionPlan(this.#s, { bridgeId: this.#d.bridgeId, willDelaySeconds: this.#d.willDelaySeconds ?? 5 }, this.#d.readFile);
    this.#startedMs = this.#d.now();
    const client = this.#newClient(this.#plan);
    const first = waitForFirstConnect(client, this.#d.startTimeoutMs ?? 10_000);
    const outcome = await first;
    if (outcome.kind === 'refused') {
      this.#stopping = true;
      client.end(true);
      throw refusal(outcome.error, this.#plan.broker);
    }
    if (outcome.kind === 'connected') await this.#onConnect();
    else this.#log.warn({ broker: this.#plan.broker, reason: this.#lastProblem }, `MQTT: broker ${this.#plan.broker} not reachable yet; readings queue until it is`);
    this.#refreshTimer = setInterval(() => void this.#refresh(), clampDelay(this.#d.refreshMs ?? REFRESH_MS));
    this.#refreshTimer.unref();
  }

  newest(signal: AbortSignal): Promise<NewestDates> {
    signal.throwIfAborted();
    return Promise.resolve(this.#newest === undefined ? {} : { entries: this.#newest });
  }

  store(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    return this.#serial.run(() => this.#store(batch, signal));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#refreshTimer);
    clearTimeout(this.#staleTimer);
    for (const t of this.#birthTimers) clearTimeout(t);
    await this.#serial.idle();
    const client = this.#client;
    if (!client) return;
    if (client.connected) {
      // A clean DISCONNECT discards the will (MQTT 3.1.1 and 5), so say "offline" ourselves.
      await this.#publish('_health', healthPayload(false)).catch((error: unknown) => this.#log.debug({ err: error }, 'MQTT: could not publish offline'));
      await client.endAsync().catch(() => undefined);
    } else {
      await client.endAsync(true).catch(() => undefined);
    }
  }

  /** The bridge's Home Assistant device, as `discovery.ts` describes it. */
  #discovery() {
    return discoveryMessages({
      discoveryPrefix: this.#s.discoveryPrefix,
      topicPrefix: this.#s.topicPrefix,
      bridgeId: this.#d.bridgeId,
      source: this.#d.source,
      unit: this.#s.unit,
      version: packageVersion(),
    });
  }

  /** Publishes the Home Assistant discovery config (retained, QoS 1) at every ConnAck and after HA's birth message. */
  async announce(): Promise<void> {
    const client = this.#client;
    if (!this.#s.discovery || !client) return;
    for (const m of this.#discovery()) await publishAcknowledged(client, m.topic, m.payload, { qos: 1, retain: m.retain }, this.#broker());
  }

  /**
   * Reconciles retained configs at connect: the broker replays what an earlier run announced under
   * this bridge's node id; what this run does not announce (discovery turned off, an older layout)
   * is cleared, so entities disappear from Home Assistant instead of lingering unavailable.
   */
  async #reconcile(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    const filter = retainedConfigFilter(this.#s.discoveryPrefix, { topicPrefix: this.#s.topicPrefix, bridgeId: this.#d.bridgeId });
    const retained: RetainedConfig[] = [];
    const collect = (topic: string, payload: Buffer): void => {
      if (topic.startsWith(`${this.#s.discoveryPrefix}/`) && topic.endsWith('/config')) retained.push({ topic, payload });
    };
    client.on('message', collect);
    try {
      await client.subscribeAsync(filter, { qos: 1 });
      // Retained messages follow the SUBACK at once; a short wait lets them arrive.
      await new Promise((resolve) => setTimeout(resolve, RECONCILE_WAIT_MS));
      await client.unsubscribeAsync(filter);
    } finally {
      client.off('message', collect);
    }
    const keep = this.#s.discovery ? this.#discovery() : [];
    const retract = retractMessages({ discoveryPrefix: this.#s.discoveryPrefix, topicPrefix: this.#s.topicPrefix, bridgeId: this.#d.bridgeId, retained, keep });
    for (const m of retract) await publishAcknowledged(client, m.topic, m.payload, { qos: 1, retain: true }, this.#broker());
    if (retract.length > 0) this.#log.info({ retracted: retract.length }, 'MQTT: removed Home Assistant configs this run no longer announces');
  }

  async #store(batch: Batch, signal: AbortSignal): Promise<StoreResult> {
    signal.throwIfAborted();
    const readings = batch.entries.filter(isReading);
    const p = plan(readings, this.#published, this.#newest);
    try {
      if (readings.length > 0 && !this.#client?.connected) throw this.#notConnected();
      for (const r of p.history) {
        await this.#publish('glucose/history', this.#payload(r), signal);
        this.#remember(r);
      }
      if (p.current) {
        await this.#publish('glucose', this.#payload(p.current), signal);
        this.#newest = Math.max(this.#newest ?? -Infinity, p.current.date);
      }
    } catch (error) {
      this.#counters.failedStores += 1;
      throw error;
    }
    this.#counters.duplicates += p.duplicates;
    if (readings.length > 0) await this.#publishStatus();
    await this.#publishSensor(batch);
    return { stored: p.history.length, duplicates: p.duplicates };
  }

  /** The sensor's end on the retained `sensor` topic, when a batch states a newer one; best effort, like status. */
  async #publishSensor(batch: Batch): Promise<void> {
    this.#sensor = newerExpiry(this.#sensor, sensorExpiryOf(batch, this.#d.now()));
    const sensor = this.#sensor;
    if (sensor === undefined || sensor.expiresMs === this.#sensorSentMs || !this.#client?.connected) return;
    await this.#publish('sensor', sensorPayload(sensor)).then(
      () => void (this.#sensorSentMs = sensor.expiresMs),
      (error: unknown) => this.#log.debug({ err: error }, 'MQTT: sensor end not published; tried again with the next batch'),
    );
  }

  /** The only path to the broker for our own topics: typed by the contract in `topics.ts`. */
  async #publish<T extends MqttTopic>(topic: T, payload: MqttTopics[T], signal?: AbortSignal): Promise<void> {
    const client = this.#client;
    if (!client?.connected) throw this.#notConnected();
    const qos = topic === '_health' ? 1 : this.#s.qos;
    await publishAcknowledged(client, topicOf(this.#s.topicPrefix, topic), JSON.stringify(payload), { qos, retain: MQTT_TOPICS[topic].retain }, this.#broker(), signal);
    this.#counters.lastPublishMs = this.#d.now();
  }

  #payload(r: Reading) {
    return glucosePayload(r, { bridge: this.#d.bridgeId, source: this.#d.source, unit: this.#s.unit, patient: this.#patient() });
  }

  #patient(): string | undefined {
    return this.#s.includePatient ? this.#d.patient : undefined;
  }

  #remember(r: Reading): void {
    this.#published.add(r.identifier);
    this.#counters.readings += 1;
    // Sets iterate in insertion order: the first is the oldest remembered.
    while (this.#published.size > REMEMBERED) this.#published.delete(this.#published.values().next().value as string);
  }

  /**
   * Freshness, until the first reading or a full stale period after start is known: a restart
   * must not flash "stale" over a retained status that was right. (`staleState` plugs in here.)
   */
  async #publishStatus(): Promise<void> {
    const now = this.#d.now();
    const staleAfterMs = this.#s.staleAfterSeconds * 1000;
    if (this.#newest === undefined && now - this.#startedMs < staleAfterMs) return;
    const { stale, nextCheckInMs } = staleState({ ...(this.#newest === undefined ? {} : { newestReadingMs: this.#newest }), nowMs: now, staleAfterMs, maxCheckInMs: REFRESH_MS });
    // The stale sensor flips when it should, not up to a refresh later.
    clearTimeout(this.#staleTimer);
    this.#staleTimer = setTimeout(() => void this.#publishStatus(), clampDelay(nextCheckInMs));
    this.#staleTimer.unref();
    await this.#publish('status', statusPayload(this.#newest, now, staleAfterMs, stale)).catch((error: unknown) =>
      this.#log.debug({ err: error }, 'MQTT: status not published; it is republished on reconnect'),
    );
  }

  async #publishStats(): Promise<void> {
    await this.#publish('_stats', statsPayload(this.#counters, this.#startedMs, this.#d.now())).catch((error: unknown) =>
      this.#log.debug({ err: error }, 'MQTT: stats not published'),
    );
  }

  async #refresh(): Promise<void> {
    if (!this.#client?.connected || this.#stopping) return;
    await this.#publishStatus();
    await this.#publishStats();
  }

  /**
   * A fresh MQTT.js client per connection attempt: one whose connection dropped may still hold
   * acknowledgement callbacks under packet ids the next connection reuses, which would leave a
   * later publish waiting for an acknowledgement that went to the stale callback.
   */
  #newClient(plan: ConnectionPlan): MqttClient {
    const old = this.#client;
    if (old) {
      old.removeAllListeners();
      old.on('error', () => undefined);
      old.end(true);
    }
    const client = (this.#d.connect ?? mqtt.connect)(plan.url, plan.options);
    this.#client = client;
    this.#wire(client);
    return client;
  }

  #wire(client: MqttClient): void {
    client.on('connect', () => {
      this.#counters.connects += 1;
      if (this.#counters.connects > 1) {
        this.#log.info({ broker: this.#broker() }, `MQTT: connected to ${this.#broker()} again`);
        void this.#onConnect();
      }
      this.#attempts = 0;
      this.#lastProblem = undefined;
      this.#refused = undefined;
    });
    client.on('close', () => {
      if (this.#stopping) return;
      if (this.#counters.connects > this.#counters.disconnects && this.#attempts === 0) {
        this.#counters.disconnects += 1;
        this.#log.warn({ broker: this.#broker() }, `MQTT: lost the connection to ${this.#broker()}; reconnecting`);
      }
      this.#scheduleReconnect();
    });
    client.on('error', (error) => {
      this.#lastProblem = describeError(error);
      if (isRefusal(error)) {
        this.#refused = refusal(error, this.#broker());
        this.#log.warn({ err: this.#refused }, `MQTT: ${this.#refused.message}`);
      }
      this.#log.debug({ err: error, broker: this.#broker() }, 'MQTT: connection error');
    });
    client.on('message', (topic, message) => this.#onMessage(topic, message));
  }

  #scheduleReconnect(): void {
    if (this.#reconnectTimer !== undefined || this.#stopping) return;
    this.#attempts += 1;
    const delay = backoffMs(this.#attempts, this.#d.reconnect ?? RECONNECT_BACKOFF, this.#d.rand);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#stopping && this.#plan) this.#newClient(this.#plan);
    }, delay);
  }

  /** At every ConnAck: subscriptions, `_health` online, discovery, and the retained state. */
  async #onConnect(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const topics = [topicOf(this.#s.topicPrefix, 'glucose'), ...(this.#s.discovery ? [`${this.#s.discoveryPrefix}/status`] : [])];
      await client.subscribeAsync(topics, { qos: 1 });
      // Acknowledged after the broker sent the retained `glucose` to us (one ordered stream): `newest` is seeded now.
      await this.#publish('_health', healthPayload(true, { bridge: this.#d.bridgeId, version: packageVersion(), since: new Date(this.#d.now()).toISOString() }));
      await this.announce();
      await this.#publishStatus();
      await this.#publishStats();
    } catch (error) {
      this.#log.warn({ err: error, broker: this.#broker() }, 'MQTT: could not announce after connecting; retried on the next connection');
    }
    void this.#reconcile().catch((error: unknown) => this.#log.warn({ err: error }, 'MQTT: could not reconcile Home Assistant configs; tried again on the next connection'));
  }

  #onMessage(topic: string, message: Buffer): void {
    if (topic === topicOf(this.#s.topicPrefix, 'glucose')) {
      const parsed = glucosePayloadSchema.safeParse(safeJson(message));
      if (!parsed.success) return;
      const now = this.#d.now();
      // Anyone who can publish a retained message could otherwise stop every real reading from being "newest".
      if (isFuture(parsed.data.dateMs, now)) {
        if (!this.#warnedFuture) this.#log.warn({ code: 'DLQ009', dateMs: parsed.data.dateMs }, `[DLQ009] MQTT: the retained ${topic} is dated ${describeAhead(parsed.data.dateMs, now)}; ignored, the next reading replaces it`);
        this.#warnedFuture = true;
        return;
      }
      this.#newest = Math.max(this.#newest ?? -Infinity, parsed.data.dateMs);
    } else if (this.#s.discovery && isBirthMessage(topic, message, this.#s.discoveryPrefix)) {
      // Home Assistant restarted: announce again after a jitter, and the status; never the reading.
      const timer = setTimeout(() => {
        this.#birthTimers.delete(timer);
        void this.announce()
          .then(() => this.#publishStatus())
          .catch((error: unknown) => this.#log.warn({ err: error }, 'MQTT: re-announce after the Home Assistant birth failed'));
      }, clampDelay(this.#d.birthDelayMs?.() ?? birthDelayMs()));
      this.#birthTimers.add(timer);
    }
  }

  #notConnected(): GlucoHubError {
    if (this.#refused) return this.#refused;
    return mqttError('MQTT005', { params: { broker: this.#broker(), reason: this.#lastProblem ? ` (${this.#lastProblem})` : '' } });
  }

  #broker(): string {
    return this.#plan?.broker ?? this.#s.url;
  }
}

function safeJson(message: Buffer): unknown {
  try {
    return JSON.parse(message.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function createMqttOutput(settings: MqttSettings, deps: MqttDeps): Output & { announce(): Promise<void> } {
  return new MqttOutput(settings, deps);
}
