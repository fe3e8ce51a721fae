import { z } from 'zod';

/**
 * The Home Assistant discovery payload gluco-hub publishes: one device-based config per bridge,
 * full key names, only the keys we use. HA itself drops unknown keys silently and rejects a
 * whole config for a bad value, so these schemas are strict and carry HA's own rejection rules:
 * a typo or an impossible combination fails our tests instead of making an entity vanish on
 * someone's dashboard. `discovery.ts` builds its payloads from the
 * inferred types, so the schema is the single source of truth for the shape.
 */

/** What HA's topic matcher accepts for node and object ids (`TOPIC_MATCHER`). */
export const TOPIC_ID = /^[a-zA-Z0-9_-]+$/;

const topic = z.string().min(1).refine((t) => !/[+#]/.test(t), 'a state topic has no wildcards');
const template = z.string().regex(/^\{\{ .+ \}\}$/s, 'one Jinja expression, {{ … }}');

const availabilitySchema = z.strictObject({
  topic,
  value_template: template.optional(),
  payload_available: z.string().optional(),
  payload_not_available: z.string().optional(),
});

const entityKeys = {
  name: z.string().min(1),
  unique_id: z.string().regex(TOPIC_ID),
  /** `<domain>.<object id>`, lower case; a bare object id gives `…unnamed_device` ids. */
  default_entity_id: z.string().regex(/^(sensor|binary_sensor)\.[a-z0-9_]+$/).optional(),
  state_topic: topic,
  value_template: template,
  availability: z.array(availabilitySchema).min(1).optional(),
  entity_category: z.literal('diagnostic').optional(),
  enabled_by_default: z.boolean().optional(),
  icon: z.string().regex(/^mdi:[a-z0-9-]+$/).optional(),
};

/** Units HA accepts per device class (`homeassistant/const.py`, case-sensitive). */
const DEVICE_CLASS_UNITS: Record<string, readonly string[]> = {
  blood_glucose_concentration: ['mg/dL', 'mmol/L'],
  duration: ['d', 'h', 'min', 's', 'ms'],
};

export const sensorComponentSchema = z
  .strictObject({
    platform: z.literal('sensor'),
    ...entityKeys,
    device_class: z.enum(['blood_glucose_concentration', 'enum', 'timestamp', 'duration']).optional(),
    unit_of_measurement: z.string().min(1).optional(),
    state_class: z.enum(['measurement', 'total', 'total_increasing']).optional(),
    suggested_display_precision: z.number().int().min(0).optional(),
    options: z.array(z.string().min(1)).min(1).optional(),
  })
  .superRefine((s, ctx) => {
    const problem = (message: string): void => void ctx.addIssue({ code: 'custom', message });
    // `validate_sensor_state_and_device_class_config` in mqtt/sensor.py.
    if (s.options !== undefined && s.device_class !== 'enum') problem('options need device_class: enum');
    if (s.device_class === 'enum' && s.options === undefined) problem('an enum sensor needs options');
    if ((s.device_class === 'enum' || s.device_class === 'timestamp') && (s.unit_of_measurement !== undefined || s.state_class !== undefined)) {
      problem(`a ${s.device_class} sensor has no unit and no state class`);
    }
    const units = s.device_class === undefined ? undefined : DEVICE_CLASS_UNITS[s.device_class];
    if (units && (s.unit_of_measurement === undefined || !units.includes(s.unit_of_measurement))) {
      problem(`${s.device_class} needs one of ${units.join(', ')}`);
    }
    // Glucose allows only `measurement` (DEVICE_CLASS_STATE_CLASSES).
    if (s.device_class === 'blood_glucose_concentration' && s.state_class !== undefined && s.state_class !== 'measurement') {
      problem('blood_glucose_concentration allows only state_class: measurement');
    }
  });

export const binarySensorComponentSchema = z.strictObject({
  platform: z.literal('binary_sensor'),
  ...entityKeys,
  device_class: z.enum(['problem', 'connectivity']).optional(),
  payload_on: z.string().min(1),
  payload_off: z.string().min(1),
});

export const componentSchema = z.discriminatedUnion('platform', [sensorComponentSchema, binarySensorComponentSchema]);

export const deviceSchema = z.strictObject({
  identifiers: z.array(z.string().min(1)).min(1),
  name: z.string().min(1),
  manufacturer: z.string().min(1),
  model: z.string().min(1),
  sw_version: z.string().min(1),
});

/** `origin` is mandatory in device discovery; HA logs it, users paste it into bug reports. */
export const originSchema = z.strictObject({
  name: z.string().min(1),
  sw_version: z.string().min(1).optional(),
  support_url: z.url({ protocol: /^https?$/ }).optional(),
});

export const deviceDiscoverySchema = z
  .strictObject({
    device: deviceSchema,
    origin: originSchema,
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    components: z.record(z.string().regex(TOPIC_ID), componentSchema),
  })
  .superRefine((d, ctx) => {
    const ids = Object.values(d.components).map((c) => c.unique_id);
    if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', message: 'unique_id used twice' });
    if (ids.length === 0) ctx.addIssue({ code: 'custom', message: 'a device config needs at least one component' });
  });

export type SensorComponent = z.infer<typeof sensorComponentSchema>;
export type BinarySensorComponent = z.infer<typeof binarySensorComponentSchema>;
export type DiscoveryComponent = z.infer<typeof componentSchema>;
export type DeviceDiscoveryConfig = z.infer<typeof deviceDiscoverySchema>;
