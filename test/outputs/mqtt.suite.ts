import mqtt from 'mqtt';
import { expect, it } from 'vitest';
import { errorCode } from '../../lib/errors.js';
import { reliable } from '../../outputs/reliable/index.js';
import { birthTopic } from '../../outputs/mqtt/birth.js';
import { deviceConfigTopic } from '../../outputs/mqtt/discovery.js';
import { deviceDiscoverySchema } from '../../outputs/mqtt/discovery-schema.js';
import { MQTT_TOPICS, topicOf, type MqttTopic } from '../../outputs/mqtt/topics.js';
import { memoryStateStore, silentLog } from '../fakes/driver-context.js';
import type { TestBroker } from '../fakes/brokers.js';
import { MIN, outputFor, readings, retained, sensorStart, settings, signal, T0, uniquePrefix, until, Watcher } from './mqtt.helpers.js';

/**
 * What a consumer of the MQTT topics notices, against a real broker. Run by the v5 suite
 * (Mosquitto) and the 3.1.1 suite (aedes) with their own broker.
 */
export function brokerBehaviour(protocolVersion: 4 | 5, broker: () => TestBroker): void {
  const setup = async (overrides: Record<string, unknown> = {}) => {
    const s = settings(broker().url, { protocolVersion, ...overrides });
    const watcher = await Watcher.open(broker().url, [`${s.topicPrefix}/#`]);
    const { output, client } = outputFor(s);
    const topic = (t: MqttTopic) => topicOf(s.topicPrefix, t);
    return { s, watcher, output, client, topic };
  };

  it('publishes every topic with the payload its schema in topics.ts describes, retained where the contract says', async () => {
    const { watcher, output, topic } = await setup({ includePatient: true, staleAfterSeconds: 7200 });
    await output.start();
    const batch = readings([T0, T0 + 5 * MIN, T0 + 10 * MIN]);
    batch.treatments.push(sensorStart(T0 - 24 * 60 * MIN, T0 + 13 * 24 * 60 * MIN));
    const result = await output.store(batch, signal());
    expect(result).toEqual({ stored: 3, duplicates: 0 });
    for (const t of Object.keys(MQTT_TOPICS) as MqttTopic[]) {
      const m = await watcher.next(topic(t));
      expect(MQTT_TOPICS[t].schema.safeParse(m.json).error, t).toBeUndefined();
      const fromScratch = t === 'glucose/history' ? undefined : await retained(broker().url, topic(t));
      if (MQTT_TOPICS[t].retain) expect(fromScratch?.retain, t).toBe(true);
    }
    expect(await retained(broker().url, topic('glucose'))).toMatchObject({ json: { v: 1, dateMs: T0 + 10 * MIN, unit: 'mg/dL', source: 'simulator' } });
    expect((await retained(broker().url, topic('status'))).json).toMatchObject({ v: 1, stale: false, lastReadingMs: T0 + 10 * MIN });
    expect((await retained(broker().url, topic('sensor'))).json).toEqual({ v: 1, expiresAt: new Date(T0 + 13 * 24 * 60 * MIN).toISOString(), expiresMs: T0 + 13 * 24 * 60 * MIN });
    await output.stop();
    await watcher.close();
  });

  it("publishes the sensor's end retained once per change, never an older statement, and nothing for a source that does not tell it", async () => {
    const DAY = 24 * 60 * MIN;
    const { watcher, output, topic } = await setup();
    await output.start();
    await output.store(readings([T0]), signal());
    const withSensor = (date: number, start: number, ends: number) => {
      const b = readings([date]);
      b.treatments.push(sensorStart(start, ends));
      return b;
    };
    await output.store(withSensor(T0 + 5 * MIN, T0 - 13 * DAY, T0 + DAY), signal());
    // the same statement again, then the old sensor's start beside a new one, then the old one alone (older: ignored)
    await output.store(withSensor(T0 + 10 * MIN, T0 - 13 * DAY, T0 + DAY), signal());
    const both = withSensor(T0 + 15 * MIN, T0 - 13 * DAY, T0 + DAY);
    both.treatments.push(sensorStart(T0 + 12 * MIN, T0 + 12 * MIN + 14 * DAY));
    await output.store(both, signal());
    await output.store(withSensor(T0 + 20 * MIN, T0 - 13 * DAY, T0 + DAY), signal());
    await watcher.next(topic('glucose'), (m) => (m.json as { dateMs: number }).dateMs === T0 + 20 * MIN);
    expect(watcher.on(topic('sensor')).map((m) => (m.json as { expiresMs: number }).expiresMs)).toEqual([T0 + DAY, T0 + 12 * MIN + 14 * DAY]);
    expect((await retained(broker().url, topic('sensor'))).json).toMatchObject({ expiresMs: T0 + 12 * MIN + 14 * DAY });
    await output.stop();
    await watcher.close();
  });

  it('publishes a back-fill oldest first to history and keeps the newest on glucose; an older reading never replaces it', async () => {
    const { watcher, output, topic, s } = await setup();
    await output.start();
    await output.store(readings([T0 + 30 * MIN]), signal());
    // An outage's back-fill arrives unordered and partly after the newest.
    await output.store(readings([T0 + 20 * MIN, T0 + 10 * MIN, T0 + 25 * MIN]), signal());
    const r = await output.store(readings([T0 + 10 * MIN, T0 + 35 * MIN]), signal());
    expect(r).toEqual({ stored: 1, duplicates: 1 });
    await watcher.next(topic('glucose'), (m) => (m.json as { dateMs: number }).dateMs === T0 + 35 * MIN);
    const history = watcher.on(topic('glucose/history')).map((m) => (m.json as { dateMs: number }).dateMs);
    expect(history).toEqual([T0 + 30 * MIN, T0 + 10 * MIN, T0 + 20 * MIN, T0 + 25 * MIN, T0 + 35 * MIN]);
    const glucose = watcher.on(topic('glucose')).map((m) => (m.json as { dateMs: number }).dateMs);
    expect(glucose).toEqual([T0 + 30 * MIN, T0 + 35 * MIN]);
    expect(await output.newest(signal())).toEqual({ entries: T0 + 35 * MIN });
    await output.stop();

    // A restarted bridge learns the newest from the retained message, and a late back-fill still cannot move it back.
    const again = outputFor(s).output;
    await again.start();
    expect(await again.newest(signal())).toEqual({ entries: T0 + 35 * MIN });
    await again.store(readings([T0 + 15 * MIN]), signal());
    expect((await retained(broker().url, topic('glucose'))).json).toMatchObject({ dateMs: T0 + 35 * MIN });
    await again.stop();
    await watcher.close();
  });

  it('a retained glucose dated a month ahead (a wrong clock, a forged message) is not taken as the newest: the next reading replaces it', async () => {
    const { s, watcher, output, topic } = await setup();
    await output.start();
    await output.store(readings([T0]), signal());
    await output.stop();
    const real = (await retained(broker().url, topic('glucose'))).json as Record<string, unknown>;
    const month = Date.now() + 30 * 24 * 60 * MIN;
    const forger = await mqtt.connectAsync(broker().url, { protocolVersion });
    await forger.publishAsync(topic('glucose'), JSON.stringify({ ...real, dateMs: month, date: new Date(month).toISOString() }), { retain: true, qos: 1 });
    await forger.endAsync();

    const again = outputFor(s).output;
    await again.start();
    expect(await again.newest(signal())).toEqual({});
    await again.store(readings([T0 + 5 * MIN]), signal());
    expect((await retained(broker().url, topic('glucose'))).json).toMatchObject({ dateMs: T0 + 5 * MIN });
    await again.stop();
    await watcher.close();
  });

  it('says online on the retained _health topic, and the last will says offline when the client dies', async () => {
    const { watcher, output, client, topic } = await setup();
    await output.start();
    expect((await retained(broker().url, topic('_health'))).json).toMatchObject({ v: 1, online: true, bridge: 'test' });
    const seen = watcher.on(topic('_health')).length;
    client().stream.destroy();
    const will = await watcher.next(topic('_health'), (m) => watcher.messages.indexOf(m) >= seen && (m.json as { online: boolean }).online === false);
    expect(will.json).toEqual({ v: 1, online: false });
    // It comes back by itself and says so.
    await watcher.next(topic('_health'), (m) => watcher.messages.indexOf(m) > watcher.messages.indexOf(will) && (m.json as { online: boolean }).online);
    await output.stop();
    expect((await retained(broker().url, topic('_health'))).json).toEqual({ v: 1, online: false });
    await watcher.close();
  });

  it('keeps retained counters on _stats, refreshed while it runs', async () => {
    const { watcher, output, topic } = await setup();
    await output.start();
    await output.store(readings([T0, T0 + 5 * MIN]), signal());
    await output.store(readings([T0 + 5 * MIN]), signal());
    await watcher.next(topic('_stats'), (m) => (m.json as { readings: number }).readings === 2);
    expect((await retained(broker().url, topic('_stats'))).json).toMatchObject({ v: 1, readings: 2, duplicates: 1, connects: 1 });
    await output.stop();
    await watcher.close();
  });

  it('throws a coded error while the broker is away (so the queue keeps the batch) and loses nothing across a broker restart', async (context) => {
    const b = broker();
    // Only a broker this suite started can be restarted; an external MQTT_URL broker cannot.
    if (!b.stop || !b.start) {
      context.skip('the broker at MQTT_URL cannot be restarted by the test; unset MQTT_URL to run this against a private Mosquitto');
      return;
    }
    const s = settings(b.url, { protocolVersion });
    const bare = outputFor(s);
    const state = memoryStateStore();
    const output = reliable(bare.output, { state, log: silentLog, now: () => Date.now(), maxEntries: 1000, drainBackoff: { baseMs: 100, capMs: 200 } });
    await output.start();
    await output.store(readings([T0]), signal());

    await b.stop();
    await until(() => !bare.client().connected);
    await expect(bare.output.store(readings([T0 + 5 * MIN]), signal())).rejects.toSatisfy((e) => /^MQTT00[56]$/.test(errorCode(e) ?? ''));
    const queued = await output.store(readings([T0 + 5 * MIN, T0 + 10 * MIN]), signal());
    expect(queued).toMatchObject({ stored: 0, queued: 2 });

    await b.start();
    const watcher = await Watcher.open(b.url, [topicOf(s.topicPrefix, 'glucose/history')]);
    // The queue drains on its own once the output is connected again, oldest first.
    await watcher.next(topicOf(s.topicPrefix, 'glucose/history'), (m) => (m.json as { dateMs: number }).dateMs === T0 + 10 * MIN);
    const r = await output.store(readings([T0 + 15 * MIN]), signal());
    expect(r.stored).toBe(1);
    await watcher.next(topicOf(s.topicPrefix, 'glucose/history'), (m) => (m.json as { dateMs: number }).dateMs === T0 + 15 * MIN);
    expect(watcher.on(topicOf(s.topicPrefix, 'glucose/history')).map((m) => (m.json as { dateMs: number }).dateMs)).toEqual([
      T0 + 5 * MIN,
      T0 + 10 * MIN,
      T0 + 15 * MIN,
    ]);
    expect((await retained(b.url, topicOf(s.topicPrefix, 'glucose'))).json).toMatchObject({ dateMs: T0 + 15 * MIN });
    await output.stop();
    await watcher.close();
  });

  it('Home Assistant: announces one device at connect, again on HA\'s birth message, flips stale on time, and retracts when discovery is turned off', async () => {
    const discoveryPrefix = uniquePrefix('ha');
    const { s, watcher, output, topic } = await setup({ discovery: true, discoveryPrefix, staleAfterSeconds: 60 });
    const configTopic = deviceConfigTopic(discoveryPrefix, { topicPrefix: s.topicPrefix, bridgeId: 'test' });
    const ha = await Watcher.open(broker().url, [`${discoveryPrefix}/#`]);
    await output.start();
    const config = await ha.next(configTopic);
    expect(deviceDiscoverySchema.safeParse(config.json).error).toBeUndefined();
    expect((await retained(broker().url, configTopic)).json).toEqual(config.json);

    // Home Assistant restarts and says so: the config is announced again.
    await ha.client.publishAsync(birthTopic(discoveryPrefix), 'online', { qos: 1 });
    await until(() => ha.on(configTopic).length >= 2);

    // A reading 59.8 s old with a 60 s threshold: fresh now, stale by itself shortly after, without another store.
    await output.store(readings([Date.now() - 59_800]), signal());
    await watcher.next(topic('status'), (m) => (m.json as { stale: boolean }).stale === false);
    await watcher.next(topic('status'), (m) => (m.json as { stale: boolean }).stale === true);
    await output.stop();

    // The same bridge without discovery clears what it announced before: the entities go away.
    const off = outputFor({ ...s, discovery: false }).output;
    await off.start();
    await ha.next(configTopic, (m) => m.text === '' && m.retain === false);
    await off.stop();
    await ha.close();
    await watcher.close();
  });
}
