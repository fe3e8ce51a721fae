import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIRECTIONS } from '../../lib/domain.js';
import { MAX_TIMER_MS } from '../../lib/time.js';
import { ARROWS } from '../../lib/arrows.js';
import { birthDelayMs, birthTopic, isBirthMessage } from '../../outputs/mqtt/birth.js';
import {
  binarySensorComponentSchema,
  deviceDiscoverySchema,
  sensorComponentSchema,
  type DeviceDiscoveryConfig,
  type DiscoveryComponent,
} from '../../outputs/mqtt/discovery-schema.js';
import {
  TREND_OPTIONS,
  deviceConfigTopic,
  discoveryMessages,
  discoveryNodeId,
  retainedConfigFilter,
  retractMessages,
  type DiscoveryInput,
} from '../../outputs/mqtt/discovery.js';
import { staleState } from '../../outputs/mqtt/stale.js';

const LINKUP: DiscoveryInput = {
  discoveryPrefix: 'homeassistant',
  topicPrefix: 'gluco-hub/linkup',
  bridgeId: 'linkup',
  source: 'linkup',
  unit: 'mgdl',
  version: '0.1.0',
};

/** What the MQTT output publishes (the brief's payload shapes), to run our templates against. */
const GLUCOSE = { v: 1, mgdl: 142, mmol: 7.9, direction: 'FortyFiveUp', trend: 2, date: '2026-09-30T08:15:00.000Z', dateMs: Date.parse('2026-09-30T08:15:00Z'), device: 'llu-sensor', source: 'linkup' };
const STATUS = { v: 1, stale: false, lastReadingMs: GLUCOSE.dateMs, lastReading: GLUCOSE.date, ageSeconds: 95 };
const ONLINE = { v: 1, online: true };
const OFFLINE = { v: 1, online: false };

/** The one config message, parsed and validated. */
function announce(input: DiscoveryInput = LINKUP): { topic: string; config: DeviceDiscoveryConfig } {
  const messages = discoveryMessages(input);
  expect(messages).toHaveLength(1);
  const [m] = messages;
  expect(m).toMatchObject({ retain: true, qos: 1 });
  return { topic: m!.topic, config: deviceDiscoverySchema.parse(JSON.parse(m!.payload)) };
}

function component(key: string, input: DiscoveryInput = LINKUP): DiscoveryComponent {
  const c = announce(input).config.components[key];
  if (!c) throw new Error(`no component ${key}`);
  return c;
}

/**
 * A tiny stand-in for HA's Jinja, for exactly the template forms we emit (anything else throws, so
 * a new form needs a test here): `value_json.x`, `'A' if value_json.x [== false] else 'B'` and
 * `{…}.get(value_json.x)`. Renders like Jinja: None → "None", a missing key → "" (Undefined).
 */
function render(template: string, payload: object): string {
  const json = payload as Record<string, unknown>;
  const expr = /^\{\{ (.+) \}\}$/s.exec(template)?.[1] ?? '';
  let m: RegExpExecArray | null;
  if ((m = /^value_json\.(\w+)$/.exec(expr))) return py(json[m[1]!]);
  if ((m = /^'(\w+)' if value_json\.(\w+)( == false)? else '(\w+)'$/.exec(expr))) {
    const v = json[m[2]!];
    return (m[3] ? v === false : truthy(v)) ? m[1]! : m[4]!;
  }
  if ((m = /^(\{.*\})\.get\(value_json\.(\w+)\)$/.exec(expr))) {
    const dict = JSON.parse(m[1]!) as Record<string, unknown>;
    const k = json[m[2]!];
    return py(typeof k === 'string' && Object.hasOwn(dict, k) ? dict[k] : null);
  }
  throw new Error(`template form not covered by the test evaluator: ${template}`);
}
function py(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  throw new Error(`the templates we emit only render scalars, not ${JSON.stringify(v)}`);
}
const truthy = (v: unknown): boolean => !(v === undefined || v === null || v === false || v === 0 || v === '');

describe('Home Assistant discovery: what gets announced', () => {
  it('is one retained device config per bridge, on a topic HA matches, under a node id the bridge can sweep', () => {
    const { topic, config } = announce();
    const nodeId = discoveryNodeId(LINKUP);
    expect(nodeId).toMatch(/^gluco_hub_linkup_[0-9a-f]{8}$/);
    expect(topic).toBe(`homeassistant/device/${nodeId}/cgm/config`);
    expect(topic).toBe(deviceConfigTopic('homeassistant', LINKUP));
    // TOPIC_MATCHER in homeassistant/components/mqtt/discovery.py, after the prefix.
    expect(topic.slice('homeassistant/'.length)).toMatch(/^\w+\/(?:[a-zA-Z0-9_-]+\/)?[a-zA-Z0-9_-]+\/config$/);
    expect(retainedConfigFilter('homeassistant', LINKUP)).toBe(`homeassistant/+/${nodeId}/+/config`);
    expect(config.device).toEqual({ identifiers: [nodeId], name: 'gluco-hub linkup', manufacturer: 'gluco-hub', model: 'linkup', sw_version: '0.1.0' });
    expect(config.origin).toEqual({ name: 'gluco-hub', sw_version: '0.1.0' });
    expect(config.qos).toBe(1);
  });

  it('holds the glucose, trend, stale, last reading, sensor expiry, reading age and connection entities, each valid for HA', () => {
    const { config } = announce();
    expect(Object.keys(config.components)).toEqual(['glucose', 'trend', 'stale', 'last_reading', 'sensor_expires', 'reading_age', 'connection']);
    const summary = Object.fromEntries(Object.entries(config.components).map(([k, c]) => [k, [c.platform, c.device_class, c.name, c.default_entity_id]]));
    expect(summary).toEqual({
      glucose: ['sensor', 'blood_glucose_concentration', 'Glucose', 'sensor.gluco_hub_linkup_glucose'],
      trend: ['sensor', 'enum', 'Trend', 'sensor.gluco_hub_linkup_trend'],
      stale: ['binary_sensor', 'problem', 'Data stale', 'binary_sensor.gluco_hub_linkup_data_stale'],
      last_reading: ['sensor', 'timestamp', 'Last reading', 'sensor.gluco_hub_linkup_last_reading'],
      sensor_expires: ['sensor', 'timestamp', 'Sensor expires', 'sensor.gluco_hub_linkup_sensor_expires'],
      reading_age: ['sensor', 'duration', 'Reading age', 'sensor.gluco_hub_linkup_reading_age'],
      connection: ['binary_sensor', 'connectivity', 'Connection', 'binary_sensor.gluco_hub_linkup_connection'],
    });
    for (const c of Object.values(config.components)) {
      (c.platform === 'sensor' ? sensorComponentSchema : binarySensorComponentSchema).parse(c);
      expect(c.unique_id).toBe(`${discoveryNodeId(LINKUP)}_${Object.keys(config.components).find((k) => config.components[k] === c)}`);
    }
  });

  it('matches the reviewed golden payload, byte for byte on every call (an unchanged config is a no-op for HA)', async () => {
    const [a] = discoveryMessages(LINKUP);
    expect(discoveryMessages({ ...LINKUP })[0]!.payload).toBe(a!.payload);
    await expect(JSON.stringify(JSON.parse(a!.payload), null, 2) + '\n').toMatchFileSnapshot('./__snapshots__/mqtt.discovery.linkup.json');
  });

  it('keeps ids stable: the same bridge gets the same node id in every release', () => {
    // Pinned: a changed unique id orphans every entity and its history in HA.
    expect(discoveryNodeId(LINKUP)).toBe(discoveryNodeId({ topicPrefix: 'gluco-hub/linkup', bridgeId: 'linkup' }));
    expect(discoveryNodeId(LINKUP)).toBe('gluco_hub_linkup_c7b01c57');
    expect(announce({ ...LINKUP, version: '9.9.9' }).config.components.glucose!.unique_id).toBe(component('glucose').unique_id);
  });

  it('never gives two bridges on one broker the same unique id, device identifier or config topic', () => {
    const bridges: DiscoveryInput[] = [
      LINKUP,
      { ...LINKUP, bridgeId: 'dexcom', source: 'dexcomshare', topicPrefix: 'gluco-hub/dexcom' },
      // A second process that also calls its bridge `linkup`, with its own prefix.
      { ...LINKUP, topicPrefix: 'gluco-hub-test/linkup' },
      // Ids that slug to the same text.
      { ...LINKUP, bridgeId: 'a.b', topicPrefix: 'gluco-hub/a.b' },
      { ...LINKUP, bridgeId: 'a_b', topicPrefix: 'gluco-hub/a_b' },
    ];
    const announced = bridges.map((b) => announce(b));
    const uniqueIds = announced.flatMap((a) => Object.values(a.config.components).map((c) => c.unique_id));
    expect(new Set(uniqueIds).size).toBe(uniqueIds.length);
    expect(new Set(announced.map((a) => a.config.device.identifiers[0])).size).toBe(bridges.length);
    expect(new Set(announced.map((a) => a.topic)).size).toBe(bridges.length);
  });

  it('slugs odd bridge ids into ids HA accepts', () => {
    const odd = { ...LINKUP, bridgeId: 'Mum.Libre-2', topicPrefix: 'cgm/Mum.Libre-2' };
    expect(discoveryNodeId(odd)).toMatch(/^gluco_hub_mum_libre_2_[0-9a-f]{8}$/);
    expect(component('glucose', odd).default_entity_id).toBe('sensor.gluco_hub_mum_libre_2_glucose');
    expect(announce(odd).topic).toMatch(/^homeassistant\/device\/[a-zA-Z0-9_-]+\/cgm\/config$/);
  });

  it('leaves entity ids to HA when default entity ids are turned off', () => {
    const { config } = announce({ ...LINKUP, defaultEntityIds: false });
    for (const c of Object.values(config.components)) expect(c).not.toHaveProperty('default_entity_id');
  });

  it('uses the configured discovery prefix', () => {
    expect(announce({ ...LINKUP, discoveryPrefix: 'ha-test' }).topic).toMatch(/^ha-test\/device\//);
  });
});

describe('Home Assistant discovery: the glucose unit option', () => {
  it('publishes mg/dL with no decimals by default', () => {
    expect(component('glucose')).toMatchObject({
      unit_of_measurement: 'mg/dL',
      value_template: '{{ value_json.mgdl }}',
      state_class: 'measurement',
      suggested_display_precision: 0,
    });
    expect(render(component('glucose').value_template, GLUCOSE)).toBe('142');
  });

  it('publishes mmol/L with one decimal when asked, changing nothing else', () => {
    const mmol = { ...LINKUP, unit: 'mmol' as const };
    expect(component('glucose', mmol)).toMatchObject({
      unit_of_measurement: 'mmol/L',
      value_template: '{{ value_json.mmol }}',
      state_class: 'measurement',
      suggested_display_precision: 1,
      device_class: 'blood_glucose_concentration',
    });
    expect(render(component('glucose', mmol).value_template, GLUCOSE)).toBe('7.9');
    const before = announce().config;
    const after = announce(mmol).config;
    expect(after.components.glucose!.unique_id).toBe(before.components.glucose!.unique_id);
    expect({ ...after.components, glucose: null }).toEqual({ ...before.components, glucose: null });
  });

  it('switches unit in place: same topic and unique id, so nothing is retracted and HA converts the history', () => {
    const old = discoveryMessages(LINKUP);
    const next = discoveryMessages({ ...LINKUP, unit: 'mmol' });
    expect(next[0]!.topic).toBe(old[0]!.topic);
    expect(next[0]!.payload).not.toBe(old[0]!.payload);
    expect(retractMessages({ ...LINKUP, retained: old, keep: next })).toEqual([]);
  });

  it('renders an unknown glucose (null) as None, which HA shows as unknown rather than failing', () => {
    expect(render(component('glucose').value_template, { ...GLUCOSE, mgdl: null, mmol: null })).toBe('None');
  });
});

describe('Home Assistant discovery: templates read the right fields', () => {
  it("trend: HA core Dexcom's seven states plus no_trend; every Nightscout direction maps to one, no direction at all to None", () => {
    const trend = component('trend');
    // `TRENDS` in homeassistant/components/dexcom/sensor.py, in its order, then ours for "the sensor says no trend".
    const dexcom = ['rising_quickly', 'rising', 'rising_slightly', 'steady', 'falling_slightly', 'falling', 'falling_quickly'];
    expect(trend.platform === 'sensor' && trend.options).toEqual([...dexcom, 'no_trend']);
    expect(Object.keys(TREND_OPTIONS).sort()).toEqual([...DIRECTIONS].sort());
    const shown = Object.fromEntries(DIRECTIONS.map((direction) => [direction, render(trend.value_template, { ...GLUCOSE, direction })]));
    expect(shown).toEqual({
      TripleUp: 'rising_quickly',
      DoubleUp: 'rising_quickly',
      SingleUp: 'rising',
      FortyFiveUp: 'rising_slightly',
      Flat: 'steady',
      FortyFiveDown: 'falling_slightly',
      SingleDown: 'falling',
      DoubleDown: 'falling_quickly',
      TripleDown: 'falling_quickly',
      'NOT COMPUTABLE': 'no_trend',
      'RATE OUT OF RANGE': 'no_trend',
      NONE: 'no_trend',
    });
    for (const state of Object.values(shown)) expect(trend.platform === 'sensor' && trend.options).toContain(state);
    // every option is reachable, so none is dead weight in HA's state list
    expect(new Set(Object.values(shown))).toEqual(new Set(trend.platform === 'sensor' ? trend.options : []));
    expect(render(trend.value_template, GLUCOSE)).toBe('rising_slightly');
    // A reading without a direction, or one this release does not know: unknown, not a guess.
    expect(render(trend.value_template, { ...GLUCOSE, direction: null })).toBe('None');
    expect(render(trend.value_template, { ...GLUCOSE, direction: 'Sideways' })).toBe('None');
  });

  it('sensor expires: a timestamp from the retained sensor topic, unknown until a source tells it, available while the bridge is down', () => {
    const expires = component('sensor_expires');
    expect(expires).toMatchObject({ state_topic: 'gluco-hub/linkup/sensor', device_class: 'timestamp' });
    expect(expires).not.toHaveProperty('availability');
    expect(expires).not.toHaveProperty('unit_of_measurement');
    expect(render(expires.value_template, { v: 1, expiresAt: '2026-10-07T08:15:00.000Z', expiresMs: Date.parse('2026-10-07T08:15:00Z') })).toBe('2026-10-07T08:15:00.000Z');
  });

  it('keeps every existing unique id: the trend changed its states, not its identity, so its history stays', () => {
    const nodeId = discoveryNodeId(LINKUP);
    const ids = Object.values(announce().config.components).map((c) => c.unique_id);
    for (const key of ['glucose', 'trend', 'stale', 'last_reading', 'reading_age', 'connection']) expect(ids).toContain(`${nodeId}_${key}`);
    expect(component('glucose')).toMatchObject({ device_class: 'blood_glucose_concentration', state_class: 'measurement', unit_of_measurement: 'mg/dL' });
  });

  it('data stale: on when status says stale, off when fresh, and on (fail safe) when the field is missing', () => {
    const stale = component('stale');
    expect(stale).toMatchObject({ state_topic: 'gluco-hub/linkup/status', device_class: 'problem', payload_on: 'ON', payload_off: 'OFF' });
    expect(render(stale.value_template, { ...STATUS, stale: true })).toBe('ON');
    expect(render(stale.value_template, STATUS)).toBe('OFF');
    expect(render(stale.value_template, { v: 1 })).toBe('ON');
  });

  it('last reading and reading age come from the status topic', () => {
    expect(component('last_reading')).toMatchObject({ state_topic: 'gluco-hub/linkup/status' });
    expect(render(component('last_reading').value_template, STATUS)).toBe('2026-09-30T08:15:00.000Z');
    expect(render(component('last_reading').value_template, { ...STATUS, lastReading: null })).toBe('None');
    expect(component('reading_age')).toMatchObject({ state_topic: 'gluco-hub/linkup/status', unit_of_measurement: 's', entity_category: 'diagnostic', enabled_by_default: false });
    expect(render(component('reading_age').value_template, STATUS)).toBe('95');
  });

  it('glucose and trend read the retained glucose topic', () => {
    expect(component('glucose').state_topic).toBe('gluco-hub/linkup/glucose');
    expect(component('trend').state_topic).toBe('gluco-hub/linkup/glucose');
    expect(component('glucose')).not.toHaveProperty('expire_after');
  });
});

describe('Home Assistant discovery: availability', () => {
  it('makes the data entities available only while the bridge says online on _health', () => {
    for (const key of ['glucose', 'trend', 'stale', 'reading_age']) {
      const c = component(key);
      expect(c.availability).toHaveLength(1);
      const [a] = c.availability!;
      expect(a!.topic).toBe('gluco-hub/linkup/_health');
      expect(render(a!.value_template!, ONLINE)).toBe('online');
      expect(render(a!.value_template!, OFFLINE)).toBe('offline');
      expect(render(a!.value_template!, {})).toBe('offline');
    }
  });

  it('keeps "Last reading" and "Connection" available, so a dead bridge reads disconnected with its last reading time', () => {
    expect(component('last_reading')).not.toHaveProperty('availability');
    const connection = component('connection');
    expect(connection).not.toHaveProperty('availability');
    expect(connection).toMatchObject({ state_topic: 'gluco-hub/linkup/_health', entity_category: 'diagnostic' });
    expect(render(connection.value_template, ONLINE)).toBe('ON');
    expect(render(connection.value_template, OFFLINE)).toBe('OFF');
  });
});

describe('Home Assistant discovery: retracting old configs at start', () => {
  const nodeId = discoveryNodeId(LINKUP);
  const current = discoveryMessages(LINKUP);
  const ours = (topic: string, payload: object = { origin: { name: 'gluco-hub' } }) => ({ topic, payload: Buffer.from(JSON.stringify(payload)) });

  it('clears every config the bridge announced once discovery is turned off', () => {
    expect(retractMessages({ ...LINKUP, retained: current, keep: [] })).toEqual([{ topic: current[0]!.topic, payload: '', retain: true, qos: 1 }]);
  });

  it('keeps what is still wanted and clears older layouts under its own node id', () => {
    const retained = [
      ...current,
      ours(`homeassistant/sensor/${nodeId}/glucose/config`, { name: 'Glucose' }), // per-entity, no origin
      ours(`homeassistant/binary_sensor/${nodeId}/stale/config`),
    ];
    expect(retractMessages({ ...LINKUP, retained, keep: current }).map((m) => [m.topic, m.payload])).toEqual([
      [`homeassistant/sensor/${nodeId}/glucose/config`, ''],
      [`homeassistant/binary_sensor/${nodeId}/stale/config`, ''],
    ]);
  });

  it('never touches configs of other bridges, other publishers, other prefixes, or ones already removed', () => {
    const other = discoveryMessages({ ...LINKUP, bridgeId: 'dexcom', topicPrefix: 'gluco-hub/dexcom' });
    const retained = [
      ...other,
      ours(`homeassistant/sensor/${nodeId}/foreign/config`, { origin: { name: 'zigbee2mqtt' } }),
      ours(`homeassistant/sensor/${nodeId}_x/glucose/config`),
      ours(`homeassistant/sensor/${nodeId}/glucose/extra/config`),
      ours(`other-prefix/sensor/${nodeId}/glucose/config`),
      { topic: `homeassistant/sensor/${nodeId}/gone/config`, payload: '' },
      { topic: `homeassistant/sensor/${nodeId}/garbage/config`, payload: 'not json' },
    ];
    expect(retractMessages({ ...LINKUP, retained, keep: [] })).toEqual([]);
  });

  it('retracts a topic once even when the broker replays it twice', () => {
    expect(retractMessages({ ...LINKUP, retained: [...current, ...current], keep: [] })).toHaveLength(1);
  });
});

describe('Home Assistant discovery: the schema has HA’s teeth', () => {
  const glucose = component('glucose');
  it.each([
    ['a unit HA does not know for glucose', { ...glucose, unit_of_measurement: 'mg/dl' }],
    ['a counter state class on glucose', { ...glucose, state_class: 'total' }],
    ['options without device_class enum', { ...glucose, options: ['a'] }],
    ['an enum with a unit', { ...component('trend'), unit_of_measurement: 'x' }],
    ['an enum without options', { ...component('trend'), options: undefined }],
    ['a unit on a timestamp', { ...component('last_reading'), unit_of_measurement: 's' }],
    ['a misspelt key HA would silently drop', { ...glucose, unit_of_measurment: 'mg/dL' }],
    ['a bare default_entity_id', { ...glucose, default_entity_id: 'gluco_hub_linkup_glucose' }],
  ])('rejects %s', (_, bad) => {
    expect(sensorComponentSchema.safeParse(bad).success).toBe(false);
  });
});

describe('stale state (the "Data stale" sensor and the status timer)', () => {
  const MIN = 60_000;
  const staleAfterMs = 15 * MIN;
  const t0 = Date.parse('2026-09-30T08:15:00Z');

  it('is stale without any reading, and only a reading can change that', () => {
    expect(staleState({ nowMs: t0, staleAfterMs })).toEqual({ stale: true, nextCheckInMs: MAX_TIMER_MS });
  });

  it('is fresh right after a reading, and says when it turns stale', () => {
    expect(staleState({ newestReadingMs: t0, nowMs: t0, staleAfterMs })).toEqual({ stale: false, ageSeconds: 0, nextCheckInMs: staleAfterMs });
    expect(staleState({ newestReadingMs: t0, nowMs: t0 + 95_400, staleAfterMs })).toEqual({ stale: false, ageSeconds: 95, nextCheckInMs: staleAfterMs - 95_400 });
  });

  it('flips on at exactly staleAfter', () => {
    expect(staleState({ newestReadingMs: t0, nowMs: t0 + staleAfterMs - 1, staleAfterMs })).toEqual({ stale: false, ageSeconds: 899, nextCheckInMs: 1 });
    expect(staleState({ newestReadingMs: t0, nowMs: t0 + staleAfterMs, staleAfterMs })).toMatchObject({ stale: true, ageSeconds: 900 });
  });

  it('one timer set to nextCheckInMs fires exactly when the answer flips', () => {
    let now = t0 + 123_456;
    const first = staleState({ newestReadingMs: t0, nowMs: now, staleAfterMs });
    now += first.nextCheckInMs - 1;
    expect(staleState({ newestReadingMs: t0, nowMs: now, staleAfterMs }).stale).toBe(false);
    now += 1;
    expect(staleState({ newestReadingMs: t0, nowMs: now, staleAfterMs }).stale).toBe(true);
  });

  it('flips off as soon as a new reading is stored', () => {
    const later = t0 + 20 * MIN;
    expect(staleState({ newestReadingMs: t0, nowMs: later, staleAfterMs }).stale).toBe(true);
    expect(staleState({ newestReadingMs: later - 30_000, nowMs: later, staleAfterMs })).toEqual({ stale: false, ageSeconds: 30, nextCheckInMs: staleAfterMs - 30_000 });
  });

  it('caps the timer at maxCheckInMs (to refresh the age) and at Node’s timer limit, and never goes below 1 ms', () => {
    expect(staleState({ newestReadingMs: t0, nowMs: t0, staleAfterMs, maxCheckInMs: MIN }).nextCheckInMs).toBe(MIN);
    expect(staleState({ nowMs: t0, staleAfterMs, maxCheckInMs: MIN }).nextCheckInMs).toBe(MIN);
    expect(staleState({ newestReadingMs: t0, nowMs: t0, staleAfterMs: 10 * MAX_TIMER_MS }).nextCheckInMs).toBe(MAX_TIMER_MS);
    expect(staleState({ newestReadingMs: t0, nowMs: t0, staleAfterMs, maxCheckInMs: -5 }).nextCheckInMs).toBe(1);
  });

  it('treats a reading from the future (clock skew) as brand new, never a negative age', () => {
    expect(staleState({ newestReadingMs: t0 + 5_000, nowMs: t0, staleAfterMs })).toEqual({ stale: false, ageSeconds: 0, nextCheckInMs: staleAfterMs + 5_000 });
  });
});

describe('Home Assistant birth message', () => {
  it('is "online" on <discovery prefix>/status, as a string or a Buffer', () => {
    expect(birthTopic('homeassistant')).toBe('homeassistant/status');
    expect(isBirthMessage('homeassistant/status', 'online', 'homeassistant')).toBe(true);
    expect(isBirthMessage('homeassistant/status', Buffer.from('online'), 'homeassistant')).toBe(true);
    expect(isBirthMessage('ha/status', 'online\n', 'ha')).toBe(true);
  });

  it('is not HA’s will, another topic or another prefix', () => {
    expect(isBirthMessage('homeassistant/status', 'offline', 'homeassistant')).toBe(false);
    expect(isBirthMessage('homeassistant/status', '', 'homeassistant')).toBe(false);
    expect(isBirthMessage('homeassistant/status', 'online', 'ha')).toBe(false);
    expect(isBirthMessage('gluco-hub/linkup/status', 'online', 'homeassistant')).toBe(false);
    expect(isBirthMessage('homeassistant/status/x', 'online', 'homeassistant')).toBe(false);
  });

  it('is answered after a 1–5 s jitter', () => {
    expect(birthDelayMs(() => 0)).toBe(1_000);
    expect(birthDelayMs(() => 0.5)).toBe(3_000);
    expect(birthDelayMs(() => 0.9999999)).toBe(5_000);
  });
});

describe('the Home Assistant walkthrough (docs/home-assistant.md)', () => {
  const doc = readFileSync(new URL('../../docs/home-assistant.md', import.meta.url), 'utf8');

  it('lists the entity ids and the unique id gluco-hub really announces', () => {
    for (const c of Object.values(announce().config.components)) expect(doc).toContain(`| ${c.name} | \`${c.default_entity_id}\` |`);
    expect(doc).toContain(`\`${component('glucose').unique_id}\``);
    expect(doc).toContain(announce().topic.replace(discoveryNodeId(LINKUP), 'gluco_hub_<bridge id>_<8 hex>'));
  });

  it('lists every trend state with its direction and Nightscout arrow', () => {
    for (const direction of DIRECTIONS) {
      expect(doc).toContain(`| \`${TREND_OPTIONS[direction]}\` | ${direction} | ${ARROWS[direction]} |`);
    }
  });
});
