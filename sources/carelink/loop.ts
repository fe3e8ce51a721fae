import { z } from 'zod';
import type { Logger } from '../../lib/logger.js';
import type { BackoffPolicy } from '../../lib/time.js';
import type { FetchWindow, SourceLoop } from '../../lib/contracts/source.js';
import type { AuthorizedCall } from './calls.js';
import type { CareLinkRequest } from './client.js';
import { clError } from './errors.js';
import { dataAgeMs, STALE_AFTER_MS } from './patient-data.js';
import type { CareLinkSession } from './session.js';
import { transformPatientData } from './transform.js';

const MINUTE_MS = 60_000;
/** A sensor value every 5 min. */
export const READING_INTERVAL_MS = 5 * MINUTE_MS;
/** The phone uploads within about a minute of the sensor value. */
export const CARELINK_LAG_MS = 60_000;
/** `sgs` covers the last 24 h. */
export const CARELINK_HISTORY_MS = 24 * 60 * MINUTE_MS;
export const CARELINK_MAX_RETRIES = 2;
export const CARELINK_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 30 * MINUTE_MS };

/** The request that reads the session's patient over its route. */
export function dataRequest(session: CareLinkSession, nowMs: number): Omit<CareLinkRequest, 'bearer'> {
  const { carelinkBase, cumulusBase } = session.endpoints;
  const last24h = `cpSerialNumber=NONE&msgType=last24hours&requestTime=${nowMs}`;
  if (session.route === 'ble') {
    const body = session.carePartner
      ? { username: session.username, role: 'carepartner', patientId: session.patient }
      : { username: session.username, role: 'patient' };
    return { what: 'the data (display/message)', url: `${cumulusBase}/display/message`, json: body };
  }
  if (session.route === 'm2m') {
    return { what: 'the data (M2M)', url: `${carelinkBase}/m2m/connect/data/gc/patients/${encodeURIComponent(session.patient)}?${last24h}` };
  }
  return { what: 'the data (connect/data)', url: `${carelinkBase}/connect/data?${last24h}` };
}

/** `display/message` wraps the data as `{metadata, patientData}` since 2025; older answers are the data itself. */
export function unwrapPatientData(body: Record<string, unknown>): Record<string, unknown> {
  const inner = body.patientData;
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? (inner as Record<string, unknown>) : body;
}

const objectSchema = z.record(z.string(), z.unknown());

export interface DataLoopOptions {
  call: AuthorizedCall;
  now: () => number;
  log: Logger;
  intervalSeconds: number;
  minIntervalSeconds: number;
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

/** Says once when the pump stops uploading (phone out of range, app closed) and once when it is back. */
function staleTracker(log: Logger): (data: Record<string, unknown>) => void {
  let stale = false;
  return (data) => {
    const age = dataAgeMs({ currentServerTime: numberOrNull(data.currentServerTime), lastMedicalDeviceDataUpdateServerTime: numberOrNull(data.lastMedicalDeviceDataUpdateServerTime) });
    const now = age !== undefined && age > STALE_AFTER_MS;
    if (now && !stale) log.warn({ minutes: Math.round(age / MINUTE_MS) }, 'CareLink has had no new pump data for a while (phone out of range, or the app closed?); no new status is sent until it has');
    if (!now && stale) log.info('CareLink has new pump data again');
    stale = now;
  };
}

/**
 * The one loop: CareLink answers with the last 24 h of everything at once, so one call yields
 * entries, treatments and devicestatus; outputs keep what they do not have yet.
 */
export function dataLoop(options: DataLoopOptions): SourceLoop<CareLinkSession> {
  const noteAge = staleTracker(options.log);
  return {
    name: 'entries',
    collections: ['entries', 'treatments', 'devicestatus'],
    expectedIntervalMs: Math.min(READING_INTERVAL_MS, options.intervalSeconds * 1000),
    minIntervalMs: options.minIntervalSeconds * 1000,
    lagMs: CARELINK_LAG_MS,
    historyMs: CARELINK_HISTORY_MS,
    maxRetries: CARELINK_MAX_RETRIES,
    backoff: CARELINK_BACKOFF,
    async fetch(session: CareLinkSession, _window: FetchWindow, signal: AbortSignal) {
      const request = dataRequest(session, options.now());
      const body = await options.call(request, objectSchema, signal);
      const data = unwrapPatientData(body);
      if (Object.keys(data).length === 0) throw clError('CL019', { params: { what: request.what, reason: 'an empty object' } });
      noteAge(data);
      return data;
    },
    transform: (raw: unknown) => transformPatientData(raw),
  };
}
