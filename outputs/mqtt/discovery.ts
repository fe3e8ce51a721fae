import { createHash } from 'node:crypto';
import type { Direction } from '../../lib/domain.js';
import { APP_NAME } from '../../lib/version.js';
import type { BinarySensorComponent, DeviceDiscoveryConfig, DiscoveryComponent, SensorComponent } from './discovery-schema.js';

/**
 * Home Assistant MQTT discovery for one bridge, as pure functions: what to announce and what to
 * retract. The MQTT output does the publishing; docs/home-assistant.md is the user's side of it.
 *
 * One device-based config per bridge, full key names, retained. The device
 * holds every entity of the bridge, including the "Connection" sensor that Home Assistant's docs put on
 * a separate bridge device: in gluco-hub each bridge has its own topic prefix and its own
 * `_health`, so that bridge device and the patient device would always be one-to-one.
 */

export type GlucoseUnit = 'mgdl' | 'mmol';

export interface DiscoveryInput {
  /** HA's discovery prefix (`GLUCO_HUB__MQTT__DISCOVERY_PREFIX`, default `homeassistant`). */
  discoveryPrefix: string;
  /** The bridge's own topic prefix: `<prefix>/glucose`, `<prefix>/status`, `<prefix>/_health`. */
  topicPrefix: string;
  bridgeId: string;
  /** Source kind (`linkup`, `simulator`, …), shown as the device model. */
  source: string;
  /** Native unit of the glucose sensor (`GLUCO_HUB__MQTT__UNIT`). */
  unit: GlucoseUnit;
  /** Release version only: any change to a config makes HA reconfigure the entity. */
  version: string;
  /**
   * Send `default_entity_id` (HA ≥ 2025.10) so entity ids read `sensor.gluco_hub_<bridge>_glucose`.
   * Default true; false leaves the ids to HA's own entity-id setting.
   */
  defaultEntityIds?: boolean;
}

/** One retained discovery publish; an empty payload removes the config. */
export interface DiscoveryMessage {
  topic: string;
  payload: string;
  retain: true;
  qos: 1;
}

/** Identity of a bridge towards HA: everything that must never change while the bridge lives. */
export interface BridgeKey {
  topicPrefix: string;
  bridgeId: string;
}

/** Object id of the one device config under our node id. */
const DEVICE_OBJECT_ID = 'cgm';

/** Lower-case `[a-z0-9_]`, what topic ids and entity ids both accept. */
function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'bridge'
  );
}

/**
 * The node id of a bridge's discovery topics, also its device identifier and the stem of every
 * unique id: `gluco_hub_<bridge slug>_<8 hex>`. The hash covers the exact topic prefix and bridge
 * id, so two bridges on one broker — two processes that both call their bridge `linkup`, or ids
 * that differ only in `.` vs `_` — never share an id (a shared unique id drops the second entity,
 * a shared identifier merges devices). Never built from display names or patient data.
 */
export function discoveryNodeId(key: BridgeKey): string {
  const hash = createHash('sha256').update(`${key.topicPrefix}\n${key.bridgeId}`, 'utf8').digest('hex').slice(0, 8);
  return `gluco_hub_${slug(key.bridgeId)}_${hash}`;
}

/** The topic of the bridge's device config. */
export function deviceConfigTopic(discoveryPrefix: string, key: BridgeKey): string {
  return `${discoveryPrefix}/device/${discoveryNodeId(key)}/${DEVICE_OBJECT_ID}/config`;
}

/**
 * Subscribe to this at start to collect every retained config this bridge ever published
 * (device or per-entity), then feed them to {@link retractMessages}.
 */
export function retainedConfigFilter(discoveryPrefix: string, key: BridgeKey): string {
  return `${discoveryPrefix}/+/${discoveryNodeId(key)}/+/config`;
}

/**
 * The Trend entity's states: those of Home Assistant's core Dexcom integration
 * (`homeassistant/components/dexcom/sensor.py`, `TRENDS`), so automations and cards written for it
 * work unchanged, plus `no_trend` where the sensor says it has none (HA's Dexcom shows unknown or
 * unavailable then; an explicit state lets an automation tell "no arrow" from "no data"). The
 * triple arrows some sources send fold into the quickest class, as Nightscout's own numbers do.
 * Every direction must be here — a value missing from `options` is dropped and the old trend stays
 * on screen; the type enforces it. The payload keeps Nightscout's finer `direction`.
 */
export const HA_TRENDS = ['rising_quickly', 'rising', 'rising_slightly', 'steady', 'falling_slightly', 'falling', 'falling_quickly', 'no_trend'] as const;
export type HaTrend = (typeof HA_TRENDS)[number];

export const TREND_OPTIONS: Readonly<Record<Direction, HaTrend>> = {
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
};

const GLUCOSE_UNITS: Record<GlucoseUnit, { field: 'mgdl' | 'mmol'; unit: 'mg/dL' | 'mmol/L'; precision: number }> = {
  mgdl: { field: 'mgdl', unit: 'mg/dL', precision: 0 },
  mmol: { field: 'mmol', unit: 'mmol/L', precision: 1 },
};

interface Context {
  topics: { glucose: string; status: string; health: string; sensor: string };
  availability: { topic: string; value_template: string }[];
  unit: GlucoseUnit;
}

/** How one entity is announced; `key` becomes the component id and the end of its unique id. */
interface EntityDef {
  key: string;
  name: string;
  /** `<domain>.gluco_hub_<bridge>_<suffix>` when default entity ids are on. */
  entitySuffix: string;
  build(ctx: Context): ComponentBody;
}

type Identity = 'name' | 'unique_id' | 'default_entity_id';
type ComponentBody = Omit<SensorComponent, Identity> | Omit<BinarySensorComponent, Identity>;
// Typed constructors, so a misspelt or misplaced key is a compile error, not a key HA drops.
const sensor = (body: Omit<SensorComponent, Identity>): ComponentBody => body;
const binarySensor = (body: Omit<BinarySensorComponent, Identity>): ComponentBody => body;

/** The entities of one bridge, as data. Order is the payload's order. */
const ENTITIES: readonly EntityDef[] = [
  {
    key: 'glucose',
    name: 'Glucose',
    entitySuffix: 'glucose',
    build: ({ topics, availability, unit }) => sensor({
      platform: 'sensor',
      state_topic: topics.glucose,
      // No expire_after: the glucose topic is retained and staleness is the status topic's job (decision 5).
      value_template: `{{ value_json.${GLUCOSE_UNITS[unit].field} }}`,
      device_class: 'blood_glucose_concentration',
      unit_of_measurement: GLUCOSE_UNITS[unit].unit,
      state_class: 'measurement',
      suggested_display_precision: GLUCOSE_UNITS[unit].precision,
      availability,
    }),
  },
  {
    key: 'trend',
    name: 'Trend',
    entitySuffix: 'trend',
    build: ({ topics, availability }) => sensor({
      platform: 'sensor',
      state_topic: topics.glucose,
      // Maps the Nightscout direction the glucose payload carries; none at all (null) or an unmapped one renders None (unknown).
      value_template: `{{ ${JSON.stringify(TREND_OPTIONS)}.get(value_json.direction) }}`,
      device_class: 'enum',
      options: [...HA_TRENDS],
      icon: 'mdi:chart-line-variant',
      availability,
    }),
  },
  {
    key: 'stale',
    name: 'Data stale',
    entitySuffix: 'data_stale',
    build: ({ topics, availability }) => binarySensor({
      platform: 'binary_sensor',
      state_topic: topics.status,
      // Fail safe: anything but an explicit `false` is a problem.
      value_template: "{{ 'OFF' if value_json.stale == false else 'ON' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      device_class: 'problem',
      availability,
    }),
  },
  {
    key: 'last_reading',
    name: 'Last reading',
    entitySuffix: 'last_reading',
    // No availability: the time of the last reading stays true while the bridge is down.
    build: ({ topics }) => sensor({
      platform: 'sensor',
      state_topic: topics.status,
      value_template: '{{ value_json.lastReading }}',
      device_class: 'timestamp',
    }),
  },
  {
    key: 'sensor_expires',
    name: 'Sensor expires',
    entitySuffix: 'sensor_expires',
    // Unknown until the source tells it (LibreLink Up, CareLink); like Last reading, it stays true while the bridge is down.
    build: ({ topics }) => sensor({
      platform: 'sensor',
      state_topic: topics.sensor,
      value_template: '{{ value_json.expiresAt }}',
      device_class: 'timestamp',
    }),
  },
  {
    key: 'reading_age',
    name: 'Reading age',
    entitySuffix: 'reading_age',
    // Saw-tooth, accurate to the status republish period: diagnostic, off by default, no state class.
    build: ({ topics, availability }) => sensor({
      platform: 'sensor',
      state_topic: topics.status,
      value_template: '{{ value_json.ageSeconds }}',
      device_class: 'duration',
      unit_of_measurement: 's',
      suggested_display_precision: 0,
      entity_category: 'diagnostic',
      enabled_by_default: false,
      availability,
    }),
  },
  {
    key: 'connection',
    name: 'Connection',
    entitySuffix: 'connection',
    // No availability, so a dead bridge reads "Disconnected" (last will), not "unavailable".
    build: ({ topics }) => binarySensor({
      platform: 'binary_sensor',
      state_topic: topics.health,
      value_template: "{{ 'ON' if value_json.online else 'OFF' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      device_class: 'connectivity',
      entity_category: 'diagnostic',
    }),
  },
];

/** The device config of one bridge, as an object (what {@link discoveryMessages} serialises). */
export function discoveryConfig(input: DiscoveryInput): DeviceDiscoveryConfig {
  const nodeId = discoveryNodeId(input);
  const health = `${input.topicPrefix}/_health`;
  const ctx: Context = {
    topics: { glucose: `${input.topicPrefix}/glucose`, status: `${input.topicPrefix}/status`, health, sensor: `${input.topicPrefix}/sensor` },
    availability: [{ topic: health, value_template: "{{ 'online' if value_json.online else 'offline' }}" }],
    unit: input.unit,
  };
  const components: Record<string, DiscoveryComponent> = {};
  for (const e of ENTITIES) {
    const body = e.build(ctx);
    const entityId = input.defaultEntityIds === false ? {} : { default_entity_id: `${body.platform}.gluco_hub_${slug(input.bridgeId)}_${e.entitySuffix}` };
    components[e.key] = { name: e.name, unique_id: `${nodeId}_${e.key}`, ...entityId, ...body };
  }
  return {
    device: {
      identifiers: [nodeId],
      name: `${APP_NAME} ${input.bridgeId}`,
      manufacturer: APP_NAME,
      model: input.source,
      sw_version: input.version,
    },
    origin: { name: APP_NAME, sw_version: input.version },
    qos: 1,
    components,
  };
}

/**
 * The retained config messages to publish on every ConnAck and again after HA's birth.
 * Deterministic: the same input gives byte-identical payloads, so a re-announce is a no-op
 * for HA. Changing `unit` keeps topic and unique ids (HA converts the statistics) and only
 * changes the glucose component.
 */
export function discoveryMessages(input: DiscoveryInput): DiscoveryMessage[] {
  return [{ topic: deviceConfigTopic(input.discoveryPrefix, input), payload: JSON.stringify(discoveryConfig(input)), retain: true, qos: 1 }];
}

/** A retained config the broker replayed on {@link retainedConfigFilter}. */
export interface RetainedConfig {
  topic: string;
  payload: Buffer | string;
}

export interface RetractInput extends BridgeKey {
  discoveryPrefix: string;
  /** Everything the broker replayed on {@link retainedConfigFilter} during the collection window. */
  retained: Iterable<RetainedConfig>;
  /** What should stay: `discoveryMessages(…)` while discovery is on, `[]` once it is turned off. */
  keep: readonly { topic: string }[];
}

/**
 * The empty retained payloads that remove configs this bridge published before but no longer
 * wants: all of them when discovery was turned off, or configs of an older layout.
 * Only topics under this bridge's own node id are touched, and only configs gluco-hub wrote
 * (`origin.name`, or no origin at all); already-empty payloads need nothing. Removing a config
 * also removes the user's customisations of its entities, so never call this on a normal stop.
 */
export function retractMessages(input: RetractInput): DiscoveryMessage[] {
  const nodeId = discoveryNodeId(input);
  const keep = new Set(input.keep.map((m) => m.topic));
  const out = new Map<string, DiscoveryMessage>();
  for (const { topic, payload } of input.retained) {
    if (keep.has(topic) || out.has(topic) || !isOurConfigTopic(topic, input.discoveryPrefix, nodeId)) continue;
    if (!writtenByUs(payload)) continue;
    out.set(topic, { topic, payload: '', retain: true, qos: 1 });
  }
  return [...out.values()];
}

function isOurConfigTopic(topic: string, discoveryPrefix: string, nodeId: string): boolean {
  if (!topic.startsWith(`${discoveryPrefix}/`)) return false;
  const [component, node, objectId, last, ...rest] = topic.slice(discoveryPrefix.length + 1).split('/');
  return rest.length === 0 && last === 'config' && node === nodeId && /^\w+$/.test(component ?? '') && /^[a-zA-Z0-9_-]+$/.test(objectId ?? '');
}

function writtenByUs(payload: Buffer | string): boolean {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  if (text.trim() === '') return false; // already removed
  try {
    const config = JSON.parse(text) as unknown;
    if (typeof config !== 'object' || config === null || Array.isArray(config)) return false;
    // Full or abbreviated key: an older or hand-made config may use either.
    const { origin, o } = config as { origin?: { name?: unknown }; o?: { name?: unknown } };
    const found = origin ?? o;
    return found === undefined || found.name === APP_NAME;
  } catch {
    return false; // not a discovery config at all: not ours to judge
  }
}
