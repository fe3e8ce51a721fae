import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Batch, Entry, Treatment } from '../../lib/domain.js';
import { sensorExpiresField } from '../../lib/sensor-expiry.js';
import type { MqttSettings } from '../../lib/config/schema.js';
import { mqttOutputSchema } from '../../lib/config/schema.js';
import { createMqttOutput, type MqttDeps } from '../../outputs/mqtt/index.js';
import { silentLog } from '../fakes/driver-context.js';

export const MIN = 60_000;
/** Readings are dated near now, so `status` says fresh. */
export const T0 = Math.floor(Date.now() / MIN) * MIN - 60 * MIN;

const DIRECTIONS = ['Flat', 'FortyFiveUp', 'SingleUp', 'NONE'] as const;

export function reading(date: number, sgv = 100 + ((date / MIN) % 50)): Entry {
  const hex = date.toString(16).padStart(12, '0').slice(-12);
  return {
    date,
    device: 'fake-cgm',
    identifier: `00000000-0000-5000-8000-${hex}`,
    type: 'sgv',
    sgv,
    delta: 2,
    direction: DIRECTIONS[(date / MIN) % DIRECTIONS.length],
    dateString: new Date(date).toISOString(),
  };
}

export function readings(dates: readonly number[]): Batch {
  return { entries: dates.map((d) => reading(d)), treatments: [], devicestatus: [] };
}

/** A Sensor Start as LibreLink Up sends it, stating when that sensor ends (lib/sensor-expiry.ts). */
export function sensorStart(date: number, endsMs: number): Treatment {
  const hex = date.toString(16).padStart(12, '0').slice(-12);
  return { date, device: 'librelinkup', identifier: `00000000-0000-5000-9000-${hex}`, eventType: 'Sensor Start', created_at: new Date(date).toISOString(), ...sensorExpiresField(endsMs) };
}

export const signal = (): AbortSignal => new AbortController().signal;

export function uniquePrefix(name: string): string {
  return `gluco-hub-test/${name}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
}

export function settings(url: string, overrides: Partial<Record<keyof MqttSettings, unknown>> = {}): MqttSettings {
  const topicPrefix = uniquePrefix('t');
  // One client id per test, as one per running instance: a shared id makes the broker take sessions over.
  return mqttOutputSchema.parse({ url, topicPrefix, clientId: topicPrefix.replaceAll('/', '_'), ...overrides });
}

/** The output under test, fast timers, and its MQTT.js client (to kill its socket). */
export function outputFor(s: MqttSettings, deps: Partial<MqttDeps> = {}) {
  const clients: MqttClient[] = [];
  const output = createMqttOutput(s, {
    now: () => Date.now(),
    log: silentLog,
    bridgeId: 'test',
    source: 'simulator',
    willDelaySeconds: 0,
    birthDelayMs: () => 0,
    refreshMs: 100,
    reconnect: { baseMs: 50, capMs: 200 },
    startTimeoutMs: 2_000,
    connect: (url: string, options: IClientOptions) => {
      const client = mqtt.connect(url, options);
      clients.push(client);
      return client;
    },
    ...deps,
  });
  return { output, client: () => clients.at(-1) as MqttClient };
}

export interface Message {
  topic: string;
  text: string;
  json: unknown;
  retain: boolean;
}

/** A subscriber that keeps every message and lets a test wait for one (on the message event, no polling). */
export class Watcher {
  readonly messages: Message[] = [];
  readonly #waiters = new Set<() => void>();
  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      const text = payload.toString();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      this.messages.push({ topic, text, json, retain: packet.retain });
      for (const w of this.#waiters) w();
    });
  }

  static async open(url: string, topics: string[], options: IClientOptions = {}): Promise<Watcher> {
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...options });
    const watcher = new Watcher(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return watcher;
  }

  on(topic: string): Message[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Resolves with the first message (already received or coming) on `topic` that `match` accepts. */
  next(topic: string, match: (m: Message) => boolean = () => true): Promise<Message> {
    const found = this.messages.find((m) => m.topic === topic && match(m));
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const check = (): void => {
        const m = this.messages.find((x) => x.topic === topic && match(x));
        if (m) {
          this.#waiters.delete(check);
          resolve(m);
        }
      };
      this.#waiters.add(check);
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Reads the retained message on `topic` with a fresh subscription. */
export async function retained(url: string, topic: string): Promise<Message> {
  const w = await Watcher.open(url, [topic]);
  try {
    return await w.next(topic, (m) => m.retain);
  } finally {
    await w.close();
  }
}

/** Waits for a condition that changes on network events; short polls, bounded by the test timeout. */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}
