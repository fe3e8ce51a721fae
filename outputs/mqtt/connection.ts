import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttSettings } from '../../lib/config/schema.js';
import { mqttError } from './errors.js';
import { healthPayload } from './payloads.js';
import { prefixProblem, topicOf } from './topics.js';

/**
 * Settings → what `mqtt.connect` needs, once, at start: TLS on for `mqtts://`/`wss://` and port
 * 8883, the TLS files read now (MQTT002 if one cannot be), the last will on `<prefix>/_health`.
 * Reconnecting is ours (`reconnectPeriod: 0`, see index.ts): MQTT.js only knows a fixed period.
 */

export interface ConnectionPlan {
  url: string;
  options: IClientOptions;
  /** `mqtts://host:8883`: for logs and messages, never with credentials. */
  broker: string;
  tls: boolean;
}

export interface ConnectionIds {
  bridgeId: string;
  /** MQTT v5 will delay: a reconnect within this many seconds shows no "offline" blip. */
  willDelaySeconds: number;
}

const TLS_PORT = '8883';
const TLS_FILES = [
  ['ca', 'CA'],
  ['cert', 'CERT'],
  ['key', 'KEY'],
] as const;

/** MQTT001 unless `prefix` can carry our topics. */
export function checkPrefix(prefix: string): void {
  const reason = prefixProblem(prefix);
  if (reason !== undefined) throw mqttError('MQTT001', { params: { prefix, reason } });
}

function brokerUrl(settings: MqttSettings): { url: URL; tls: boolean } {
  const url = new URL(settings.url);
  const secure = url.protocol === 'mqtts:' || url.protocol === 'wss:';
  const tls = settings.tls?.enabled ?? (secure || url.port === TLS_PORT);
  const ws = url.protocol === 'ws:' || url.protocol === 'wss:';
  url.protocol = ws ? (tls ? 'wss:' : 'ws:') : tls ? 'mqtts:' : 'mqtt:';
  return { url, tls };
}

type ReadFile = (path: string) => Buffer;

function tlsFiles(settings: MqttSettings, readFile: ReadFile): Pick<IClientOptions, 'ca' | 'cert' | 'key'> {
  const tls = settings.tls;
  if (!tls) return {};
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const [setting, env] = tls.cert === undefined ? ['tls.cert', 'CERT'] : ['tls.key', 'KEY'];
    throw mqttError('MQTT002', { params: { setting, env, file: 'not set', reason: 'a client certificate needs its key and a key its certificate' } });
  }
  const out: Pick<IClientOptions, 'ca' | 'cert' | 'key'> = {};
  for (const [key, env] of TLS_FILES) {
    const file = tls[key];
    if (file === undefined) continue;
    try {
      out[key] = readFile(file);
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
      throw mqttError('MQTT002', { cause, params: { setting: `tls.${key}`, env, file, reason } });
    }
  }
  return out;
}

export function connectionPlan(settings: MqttSettings, ids: ConnectionIds, readFile: ReadFile = readFileSync): ConnectionPlan {
  checkPrefix(settings.topicPrefix);
  const { url, tls } = brokerUrl(settings);
  // Read even when TLS ends up off: a configured file that cannot be read is a mistake to report now.
  const files = tlsFiles(settings, readFile);
  const v5 = settings.protocolVersion === 5;
  const options: IClientOptions = {
    protocolVersion: settings.protocolVersion,
    clientId: settings.clientId ?? `gluco-hub-${ids.bridgeId}`,
    clean: true,
    keepalive: settings.keepaliveSeconds,
    // Reconnects are scheduled by the output with capped backoff; MQTT.js would retry every second forever.
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    // The output subscribes on every ConnAck itself.
    resubscribe: false,
    // Nothing waits in MQTT.js while offline: a store fails into the dead-letter queue instead.
    queueQoSZero: false,
    will: {
      topic: topicOf(settings.topicPrefix, '_health'),
      payload: Buffer.from(JSON.stringify(healthPayload(false))),
      qos: 1,
      retain: true,
      ...(v5 ? { properties: { willDelayInterval: ids.willDelaySeconds } } : {}),
    },
    ...(v5 ? { properties: { sessionExpiryInterval: settings.sessionExpirySeconds } } : {}),
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password.reveal() } : {}),
    ...(tls ? { rejectUnauthorized: settings.tls?.rejectUnauthorized ?? true, ...files } : {}),
  };
  const broker = `${url.protocol}//${url.host}`;
  return { url: url.toString(), options, broker, tls };
}
