import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import nock from 'nock';
import { emptyBatch, type Batch, type DeviceStatus, type Entry, type Treatment } from '../../lib/domain.js';
import { syncIdentifier } from '../../lib/identity.js';
import { createLogger } from '../../lib/logger.js';
import { Secret } from '../../lib/secret.js';
import { createNightscoutOutput, type NightscoutSettings } from '../../outputs/nightscout/index.js';
import type { Output } from '../../lib/contracts/output.js';

/** Shared set-up of the Nightscout output suites: a site, credentials, documents, a log to read. */

export const SERVER = 'https://ns.example.com';
export const TOKEN = 'uploader-0123456789abcdef';
export const SECRET = 'a-plain-api-secret';
export const SECRET_SHA1 = createHash('sha1').update(SECRET).digest('hex');
export const JWT = 'header.payload.signature';
export const DEVICE = 'gluco-hub-test';
export const T0 = Date.UTC(2025, 2, 10, 8, 0, 0);

export const signal = () => new AbortController().signal;

export interface LogLine {
  level: number;
  msg: string;
  err?: { code?: string; message?: string };
  [key: string]: unknown;
}

export function memoryLog() {
  const lines: LogLine[] = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  return { lines, raw, log: createLogger({ level: 'debug', format: 'json', destination }) };
}

export function outputWith(settings: Partial<{ token: string; apiSecret: string; api: NightscoutSettings['api']; endpoint: string }>, options: { concurrency?: number } = {}) {
  const memory = memoryLog();
  const output: Output = createNightscoutOutput(
    {
      endpoint: settings.endpoint ?? SERVER,
      api: settings.api ?? 'auto',
      ...(settings.token ? { token: new Secret(settings.token) } : {}),
      ...(settings.apiSecret ? { apiSecret: new Secret(settings.apiSecret) } : {}),
    },
    { log: memory.log, now: () => T0, ...options },
  );
  return { output, ...memory };
}

export function jwtExchange(times = 1) {
  const iat = Math.floor(T0 / 1000);
  return nock(SERVER)
    .get(`/api/v2/authorization/request/${TOKEN}`)
    .times(times)
    .reply(200, { token: JWT, sub: 'uploader', permissionGroups: [['*']], iat, exp: iat + 8 * 3600 });
}

export function hasV3(yes = true) {
  return yes
    ? nock(SERVER).get('/api/v3/version').reply(200, { status: 200, result: { version: '15.0.7', apiVersion: '3.0.3-alpha' } })
    : nock(SERVER).get('/api/v3/version').reply(404, { status: 404, message: 'Bad operation or collection' });
}

export function entry(date: number, sgv = 120): Entry {
  return { type: 'sgv', sgv, date, dateString: new Date(date).toISOString(), direction: 'Flat', device: DEVICE, identifier: syncIdentifier({ device: DEVICE, date }), app: 'gluco-hub', utcOffset: 0 };
}

export function treatment(date: number, eventType = 'Meal Bolus'): Treatment {
  return { eventType, carbs: 40, created_at: new Date(date).toISOString(), date, device: DEVICE, identifier: syncIdentifier({ device: DEVICE, date, eventType }), app: 'gluco-hub', utcOffset: 0 };
}

export function devicestatus(date: number): DeviceStatus {
  return { created_at: new Date(date).toISOString(), date, device: DEVICE, identifier: syncIdentifier({ device: DEVICE, date }), uploaderBattery: 80, app: 'gluco-hub', utcOffset: 0 };
}

export function batchOf(parts: Partial<Batch>): Batch {
  return { ...emptyBatch(), ...parts };
}

export const everyFiveMinutes = (from: number, count: number): Entry[] => Array.from({ length: count }, (_, i) => entry(from + i * 300_000, 100 + i));
