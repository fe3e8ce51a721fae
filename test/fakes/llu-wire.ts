import { createHash, createHmac, randomUUID } from 'node:crypto';

/**
 * Wire-format helpers of the fake LibreLink Up server: timestamps, JWT-ish
 * tokens, the account-id hash, version comparison, and the deterministic glucose trace the fake
 * serves. Pure functions, so tests can compute what the fake must have answered.
 */

export const MINUTE_MS = 60_000;
export const SECOND_MS = 1_000;
/** Token lifetime of a full login: 180 days (`authTicket.duration`, ms). */
export const TICKET_DURATION_MS = 15_552_000_000;
/** Lifetime of a terms/verification step token: 1 h. */
export const STEP_DURATION_MS = 3_600_000;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * `M/D/YYYY h:mm:ss AM`: US month/day order, 12-hour clock, no zero padding on month, day and
 * hour, no zone marker. `offsetMinutes` shifts to a patient's local wall clock (`Timestamp`);
 * 0 gives `FactoryTimestamp` (UTC).
 */
export function lluTimestamp(ms: number, offsetMinutes = 0): string {
  const d = new Date(ms + offsetMinutes * MINUTE_MS);
  const h24 = d.getUTCHours();
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h12}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${h24 < 12 ? 'AM' : 'PM'}`;
}

const TIMESTAMP = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/;

/** Reads an LLU timestamp as a UTC wall clock; `undefined` when it is not in the wire format. */
export function parseLluTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, mo, d, y, h, mi, s, ampm] = m;
  const hour12 = Number(h);
  if (hour12 < 1 || hour12 > 12) return undefined;
  const hour = (hour12 % 12) + (ampm === 'PM' ? 12 : 0);
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, Number(mi), Number(s));
}

export function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/** An HS256-looking JWT (`header.payload.signature`, base64url); the fake checks tokens by lookup. */
export function makeToken(claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ ...claims, jti: randomUUID() }));
  const signature = createHmac('sha256', 'fake-librelinkup').update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The claims of a token made by `makeToken` (or any JWT); `undefined` when unreadable. */
export function decodeToken(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `account-id` header: lowercase hex SHA-256 of the logged-in user's id (raw UUID with dashes, UTF-8). */
export function accountIdFor(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}

/** Semver-ish comparison of dotted numeric versions (`4.16.0` vs `4.12`); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.trim().split('.').map((p) => parseInt(p, 10));
  const pb = b.trim().split('.').map((p) => parseInt(p, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.isFinite(pa[i]) ? (pa[i] as number) : 0;
    const y = Number.isFinite(pb[i]) ? (pb[i] as number) : 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A stable UUID-shaped id derived from text (so patients named in tests keep their ids). */
export function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Glucose in mg/dL at `ms` for a patient `seed`: a deterministic function of time, so the same
 * timestamp always has the same value, in the current reading and later in the graph.
 */
export function glucoseAt(ms: number, seed: number): number {
  const minutes = ms / MINUTE_MS;
  const slow = 45 * Math.sin((2 * Math.PI * minutes) / 187 + seed);
  const fast = 20 * Math.sin((2 * Math.PI * minutes) / 47 + 2.3 * seed);
  return Math.max(40, Math.min(400, Math.round(135 + slow + fast)));
}

/** LLU `TrendArrow` 1..5 (SingleDown … SingleUp) from the 15-minute slope of the trace. */
export function trendArrowAt(ms: number, seed: number): 1 | 2 | 3 | 4 | 5 {
  const perMinute = (glucoseAt(ms, seed) - glucoseAt(ms - 15 * MINUTE_MS, seed)) / 15;
  if (perMinute < -2) return 1;
  if (perMinute < -1) return 2;
  if (perMinute <= 1) return 3;
  if (perMinute <= 2) return 4;
  return 5;
}

/** Nightscout direction of an LLU arrow. */
export const ARROW_DIRECTIONS: Record<number, string> = {
  1: 'SingleDown',
  2: 'FortyFiveDown',
  3: 'Flat',
  4: 'FortyFiveUp',
  5: 'SingleUp',
};

/** mg/dL → mmol/L with one decimal, as the app shows it. */
export function toMmol(mgdl: number): number {
  return Math.round((mgdl / 18.0182) * 10) / 10;
}

/** Latest `phaseMs + k·everyMs` at or before `ms`. */
export function tickAtOrBefore(ms: number, everyMs: number, phaseMs: number): number {
  return Math.floor((ms - phaseMs) / everyMs) * everyMs + phaseMs;
}
