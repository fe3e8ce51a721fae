import axios from 'axios';
import { startFakeNightscout } from '../nightscout-server.js';
import { startRealNightscout } from '../real-nightscout.js';

/**
 * The conformance table's vocabulary and the machinery that plays one step against a target
 * (the fake or the real Nightscout) and reduces the answer to what the table compares: status,
 * media type, and the body with its volatile parts (ids, JWTs, server times) replaced by tokens.
 */

/** Subjects every target has: name → role. `entries-creator` lacks update, so a dedup POST is a 403. */
export const SUBJECT_ROLES = { gluco: 'admin', creator: 'entries-creator' } as const;
export type Subject = keyof typeof SUBJECT_ROLES;
export const CUSTOM_ROLES: Record<string, string[]> = { 'entries-creator': ['api:entries:create', 'api:entries:read'] };

/** When the run started; every server-made time (srvModified, default created_at, …) falls near it. */
export const RUN_START = Date.now();
const MINUTE = 60_000;
/** Times the tests write, a whole minute so that ISO strings and ms agree. */
export const RECENT = Math.floor((RUN_START - 2 * 60 * MINUTE) / MINUTE) * MINUTE;
export const FUTURE = Math.floor((RUN_START + 30 * 24 * 60 * MINUTE) / MINUTE) * MINUTE;
export const iso = (ms: number): string => new Date(ms).toISOString();

export const NOW = '<now>';
export const OID = '<oid>';
export const JWT = '<jwt>';

export interface Target {
  name: 'fake' | 'real';
  url: string;
  secretSha1: string;
  token(subject: Subject): string;
  jwt(subject: Subject): Promise<string>;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** `AUTH_DEFAULT_ROLES`; the real harness starts with `denied`. */
  defaultRoles: 'denied' | 'readable';
}

async function exchange(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/api/v2/authorization/request/${token}`);
  const body = (await res.json()) as { token?: string };
  if (res.status !== 200 || typeof body.token !== 'string') throw new Error(`JWT exchange answered ${res.status}`);
  return body.token;
}

function withJwtCache(target: Omit<Target, 'jwt'>): Target {
  const cache = new Map<Subject, Promise<string>>();
  return {
    ...target,
    jwt(subject) {
      let jwt = cache.get(subject);
      if (!jwt) cache.set(subject, (jwt = exchange(target.url, target.token(subject))));
      return jwt;
    },
  };
}

export async function startFake(options: TargetOptions): Promise<Target> {
  const subjects = Object.fromEntries(Object.entries(SUBJECT_ROLES).map(([name, role]) => [name, [role]]));
  const ns = await startFakeNightscout({ defaultRoles: options.defaultRoles, roles: CUSTOM_ROLES, subjects });
  return withJwtCache({ name: 'fake', url: ns.url, secretSha1: ns.apiSecretSha1, token: (s) => ns.token(s), close: () => ns.close() });
}

export async function startReal(options: TargetOptions): Promise<Target> {
  // A short brute-force penalty: the table presents wrong credentials on purpose.
  const extraEnv: Record<string, string> = { AUTH_FAIL_DELAY: '20' };
  if (options.defaultRoles !== 'denied') extraEnv.AUTH_DEFAULT_ROLES = options.defaultRoles;
  const ns = await startRealNightscout({ extraEnv });
  try {
    const headers = { 'api-secret': ns.apiSecretSha1 };
    for (const [name, permissions] of Object.entries(CUSTOM_ROLES)) {
      await axios.post(`${ns.url}/api/v2/authorization/roles`, { name, permissions }, { headers, timeout: 30_000 });
    }
    const tokens: Record<string, string> = {};
    for (const [subject, role] of Object.entries(SUBJECT_ROLES)) tokens[subject] = await ns.token(subject, role);
    const close = async (): Promise<void> => {
      await ns.close();
    };
    return withJwtCache({ name: 'real', url: ns.url, secretSha1: ns.apiSecretSha1, token: (s) => tokens[s]!, close });
  } catch (error) {
    await ns.close();
    throw error;
  }
}

/** One request of a scenario and what its answer must be (after normalisation). */
export interface Step {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** May hold `{token:<subject>}`, `{jwt:<subject>}`, `{secret}`. */
  path: string;
  /** `Authorization: Bearer <JWT of subject>`, or the hashed API secret as `api-secret`. */
  as?: Subject | 'secret';
  /** Extra request headers; values may hold the same placeholders as `path`. */
  headers?: Record<string, string>;
  /** JSON request body. */
  send?: unknown;
  /** Raw request body (`send` is ignored). */
  raw?: string;
  contentType?: string;
  status: number;
  /** Media type without parameters, e.g. `application/json`, `text/html`. */
  type?: string;
  /** The normalised JSON body (after `view`). */
  body?: unknown;
  /** The exact text body. */
  text?: string;
  /** Response headers (lower-case names) and their normalised values. */
  answerHeaders?: Record<string, string>;
  /** Reduces the normalised body to the part worth comparing. */
  view?: (body: unknown) => unknown;
  /** Rewrites the parsed body before it is normalised (for server-stamped times that must not read as "now"). */
  before?: (body: unknown) => unknown;
}

export interface Scenario {
  name: string;
  steps: Step[];
}

/** Scenarios about one area; they run in order and see each other's data. */
export interface Block {
  name: string;
  scenarios: Scenario[];
}

/** One server per kind (fake, real) for these blocks, started once: a real start and stop costs seconds. */
export interface Site {
  name: string;
  options?: Partial<TargetOptions>;
  blocks: Block[];
}

async function fill(text: string, target: Target): Promise<string> {
  let out = text.replaceAll('{secret}', target.secretSha1);
  for (const m of text.matchAll(/\{(token|jwt):(\w+)\}/g)) {
    const subject = m[2] as Subject;
    out = out.replace(m[0], m[1] === 'token' ? target.token(subject) : await target.jwt(subject));
  }
  return out;
}

export interface Observed {
  status: number;
  type?: string;
  body?: unknown;
  text?: string;
  answerHeaders?: Record<string, string>;
}

const WINDOW_MS = 15 * MINUTE;
const nearNow = (ms: number): boolean => ms > RUN_START - WINDOW_MS && ms < Date.now() + WINDOW_MS;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Ids, JWTs and anything the server stamped with its clock become tokens; the rest stays. */
export function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  if (typeof value === 'number') return nearNow(value) ? NOW : value;
  if (typeof value === 'string') {
    if (/^[0-9a-f]{24}$/.test(value)) return OID;
    if (/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(value)) return JWT;
    if (ISO_TIME.test(value) && nearNow(Date.parse(value))) return NOW;
    if (/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value) && nearNow(Date.parse(value))) return NOW;
  }
  return value;
}

/** Plays `step` against `target` and keeps only what the step asks about. */
export async function play(target: Target, step: Step): Promise<Observed> {
  const headers: Record<string, string> = {};
  if (step.as === 'secret') headers['api-secret'] = target.secretSha1;
  else if (step.as) headers.authorization = `Bearer ${await target.jwt(step.as)}`;
  for (const [k, v] of Object.entries(step.headers ?? {})) headers[k] = await fill(v, target);
  let body: string | undefined;
  if (step.raw !== undefined || step.send !== undefined) {
    body = step.raw ?? JSON.stringify(step.send);
    headers['content-type'] = step.contentType ?? 'application/json';
  }
  const res = await fetch(target.url + (await fill(step.path, target)), { method: step.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const observed: Observed = { status: res.status };
  const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (step.type !== undefined) observed.type = type;
  if (step.text !== undefined) observed.text = text;
  if (step.body !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = `<not JSON: ${text.slice(0, 80)}>`;
    }
    const normalised = normalise(step.before ? step.before(parsed) : parsed);
    observed.body = step.view ? step.view(normalised) : normalised;
  }
  if (step.answerHeaders !== undefined) {
    observed.answerHeaders = Object.fromEntries(Object.keys(step.answerHeaders).map((name) => [name, normalise(res.headers.get(name) ?? '<absent>') as string]));
  }
  return observed;
}

/** What `step` expects, in the shape `play` observes. */
export function expected(step: Step): Observed {
  const out: Observed = { status: step.status };
  if (step.type !== undefined) out.type = step.type;
  if (step.body !== undefined) out.body = step.body;
  if (step.text !== undefined) out.text = step.text;
  if (step.answerHeaders !== undefined) out.answerHeaders = step.answerHeaders;
  return out;
}

/** Keeps the named keys of an object body (a view). */
export const pick =
  (...keys: string[]) =>
  (body: unknown): unknown =>
    body !== null && typeof body === 'object' && !Array.isArray(body)
      ? Object.fromEntries(Object.entries(body).filter(([k]) => keys.includes(k)))
      : body;
