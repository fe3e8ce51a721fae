import type { IClientPublishOptions, MqttClient } from 'mqtt';
import { describeError, type GlucoHubError } from '../../lib/errors.js';
import { mqttError } from './errors.js';

/**
 * The few MQTT.js calls the output makes, each turned into a promise that ends in one of our
 * coded errors: a publish settles on the broker's acknowledgement, on a dropped connection or on
 * the caller's abort — never hangs in MQTT.js's offline queue.
 */

/** Shorter than the dead-letter queue's transport deadline (20 s), so our own code names the failure. */
export const ACK_TIMEOUT_MS = 15_000;

/** Reason codes of a CONNACK that mean "these credentials may not connect" (3.1.1: 4, 5; v5: 0x86, 0x87, 0x8A, 0x8C). */
const AUTH_CODES = new Set([4, 5, 134, 135, 138, 140]);
/** The broker is there but not taking clients right now: like unreachable, retried. */
const BUSY_CODES = new Set([3, 136, 137, 139, 159]);

function reasonCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A CONNACK refusal a person must act on (credentials, protocol version, client id)? */
export function isRefusal(error: unknown): boolean {
  const code = reasonCode(error);
  return error instanceof Error && /^Connection refused/.test(error.message) && code !== undefined && !BUSY_CODES.has(code);
}

export function refusal(error: unknown, broker: string): GlucoHubError {
  const reason = error instanceof Error ? error.message.replace(/^Connection refused:\s*/, '') : String(error);
  const code = reasonCode(error);
  return code !== undefined && AUTH_CODES.has(code)
    ? mqttError('MQTT004', { cause: error, params: { broker, reason } })
    : mqttError('MQTT003', { cause: error, params: { broker, reason } });
}

export type FirstConnect = { kind: 'connected' } | { kind: 'refused'; error: unknown } | { kind: 'unreachable' };

/** The first connection attempt's outcome; `unreachable` after `timeoutMs` at the latest. */
export function waitForFirstConnect(client: MqttClient, timeoutMs: number): Promise<FirstConnect> {
  return new Promise((resolve) => {
    const done = (outcome: FirstConnect): void => {
      clearTimeout(timer);
      client.off('connect', onConnect).off('error', onError).off('close', onClose);
      resolve(outcome);
    };
    const onConnect = (): void => done({ kind: 'connected' });
    const onError = (error: Error): void => {
      if (isRefusal(error)) done({ kind: 'refused', error });
    };
    // A refusal's error event can follow the close: give it a turn before calling this unreachable.
    const onClose = (): void => void setImmediate(() => done({ kind: 'unreachable' }));
    const timer = setTimeout(() => done({ kind: 'unreachable' }), timeoutMs);
    client.on('connect', onConnect).on('error', onError).on('close', onClose);
  });
}

/**
 * Publishes and resolves when the broker acknowledged (QoS 1 PUBACK, QoS 2 PUBCOMP; QoS 0 when
 * written). Rejects with MQTT006 if the connection drops first, MQTT007 if the broker refuses.
 */
export function publishAcknowledged(
  client: MqttClient,
  topic: string,
  body: string,
  options: IClientPublishOptions,
  broker: string,
  signal?: AbortSignal,
  timeoutMs = ACK_TIMEOUT_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      client.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error(describeError(error)));
    };
    const onClose = (): void => finish(mqttError('MQTT006', { params: { broker, topic } }));
    const onAbort = (): void => finish(signal?.reason);
    // A half-open connection acknowledges nothing until keep-alive notices: do not wait that long.
    const timer = setTimeout(() => finish(mqttError('MQTT008', { params: { broker, topic, seconds: Math.round(timeoutMs / 1000) } })), timeoutMs);
    if (signal?.aborted) return onAbort();
    if (!client.connected) return onClose();
    client.on('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    client.publish(topic, body, options, (error) => {
      if (!error) return finish();
      const code = reasonCode(error);
      finish(
        code !== undefined
          ? mqttError('MQTT007', { cause: error, params: { broker, topic, reason: error.message.replace(/^Publish error:\s*/, '') } })
          : mqttError('MQTT006', { cause: error, params: { broker, topic } }),
      );
    });
  });
}
