import { errorTable, type ErrorSpec } from '../../lib/error-table.js';

/**
 * The MQTT output's coded errors. Start-up refuses what a person must fix (MQTT001–MQTT004);
 * a broker that is away makes `store` throw MQTT005/MQTT006, so the dead-letter queue
 * (`outputs/reliable/`) keeps the batch and delivers it when the broker is back.
 */
export type MqttCode = 'MQTT001' | 'MQTT002' | 'MQTT003' | 'MQTT004' | 'MQTT005' | 'MQTT006' | 'MQTT007' | 'MQTT008';

export const MQTT_ERRORS: Record<MqttCode, ErrorSpec> = {
  MQTT001: {
    kind: 'config',
    message: 'the MQTT topic prefix "{prefix}" cannot be published to: {reason}',
    hint: 'set GLUCO_HUB__MQTT__TOPIC_PREFIX to plain topic levels such as gluco-hub or home/gluco-hub (no +, #, leading $ or empty levels)',
  },
  MQTT002: {
    kind: 'config',
    message: 'cannot use the MQTT TLS file {setting} ({file}): {reason}',
    hint: 'point GLUCO_HUB__MQTT__TLS__{env} at a readable PEM file (client certificate and key go together)',
  },
  MQTT003: {
    kind: 'config',
    message: 'the MQTT broker {broker} refused the connection: {reason}',
    hint: 'check GLUCO_HUB__MQTT__PROTOCOL_VERSION (5 or 4), GLUCO_HUB__MQTT__CLIENT_ID and the broker log',
  },
  MQTT004: {
    kind: 'auth',
    message: 'the MQTT broker {broker} refused the credentials: {reason}',
    hint: 'check GLUCO_HUB__MQTT__USERNAME and GLUCO_HUB__MQTT__PASSWORD (or _FILE) and the broker ACL; readings wait in the queue meanwhile',
  },
  MQTT005: {
    kind: 'network',
    message: 'not connected to the MQTT broker {broker}{reason}; the readings are queued',
    hint: 'gluco-hub reconnects with backoff and delivers the queue oldest first; check that the broker runs and is reachable',
  },
  MQTT006: {
    kind: 'network',
    message: 'the connection to the MQTT broker {broker} dropped before it acknowledged {topic}; the readings are queued',
    hint: 'gluco-hub reconnects and resends; consumers dedup on the reading identifier',
  },
  MQTT007: {
    kind: 'upstream',
    message: 'the MQTT broker {broker} refused the publish to {topic}: {reason}',
    hint: 'check the broker ACL for the gluco-hub user (it must be allowed to publish under the topic prefix)',
  },
  MQTT008: {
    kind: 'network',
    message: 'the MQTT broker {broker} did not acknowledge {topic} within {seconds} s; the readings are queued',
    hint: 'check the broker and the network; gluco-hub resends and consumers dedup on the reading identifier',
  },
};

export const mqttError = errorTable<MqttCode>(MQTT_ERRORS);
