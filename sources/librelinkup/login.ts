import type { Logger } from '../../lib/logger.js';
import { Secret } from '../../lib/secret.js';
import type { LluClient, WireResponse } from './client.js';
import { lluError } from './errors.js';
import { accountIdFor } from './headers.js';
import { outdatedVersion } from './outdated-version.js';
import { regionBaseUrl, regionKey, type Region } from './regions.js';
import { causeOf, jsonBody, throttled, unexpectedStatus } from './responses.js';
import { envelopeSchema, loginLockedSchema, loginRedirectSchema, loginStepSchema, loginSuccessSchema } from './wire.js';

/**
 * `POST /llu/auth/login` and everything its body `status` can say:
 * a ticket, a redirect to another region, a step to complete, bad credentials, a lockout.
 */

/** nightscout-connect's limits: two redirects, four accepted documents. */
export const MAX_REDIRECTS = 2;
export const MAX_STEPS = 4;
/** When a lock answer carries no `lockout`, assume the documented 300 s. */
const DEFAULT_LOCKOUT_S = 300;
/** Added to a lockout so we never knock exactly when it ends. */
const LOCKOUT_JITTER_MS = 30_000;
/** Steps we may accept on the user's behalf, when they opted in. */
const TERMS_STEPS: Readonly<Record<string, string>> = { tou: 'terms of use', pp: 'privacy policy' };

export interface LoginOptions {
  client: LluClient;
  username: string;
  password: Secret;
  /** Where the first attempt goes. */
  baseUrl: string;
  region: Region;
  /** `server` is configured: redirects stay on it (tests and proxies cannot reach region hosts). */
  pinnedServer: boolean;
  acceptTerms: boolean;
  /** The `version` header sent, named when the server calls it outdated. */
  version: string;
  log: Logger;
  now: () => number;
  rand: () => number;
}

export interface LoginResult {
  token: string;
  /** Epoch ms. */
  expiresMs: number;
  /** SHA-256 of the user id: the `account-id` header. */
  accountId: string;
  /** Where the ticket is valid (after redirects). */
  baseUrl: string;
  region: Region;
}

type Outcome =
  | { kind: 'ticket'; token: string; expiresMs: number; accountId: string }
  | { kind: 'redirect'; region: string }
  | { kind: 'step'; type: string; token: Secret };

function lockedError(response: WireResponse, json: unknown, rand: () => number): Error | undefined {
  const locked = loginLockedSchema.safeParse(json);
  if (!locked.success) return undefined;
  const seconds = locked.data.data?.data?.lockout ?? DEFAULT_LOCKOUT_S;
  return lluError('LLU005', {
    params: { seconds },
    retryAfterMs: Math.round(seconds * 1000 + rand() * LOCKOUT_JITTER_MS),
    cause: causeOf(response),
  });
}

function stepOutcome(response: WireResponse, json: unknown): Outcome {
  const step = loginStepSchema.safeParse(json);
  if (!step.success || !step.data.data.authTicket) {
    const message = envelopeSchema.safeParse(json).data?.error?.message ?? 'no step';
    throw lluError('LLU024', { params: { what: response.what, status: '4', reason: message }, status: response.httpStatus, cause: causeOf(response) });
  }
  return { kind: 'step', type: step.data.data.step.type, token: new Secret(step.data.data.authTicket.token) };
}

function successOutcome(response: WireResponse, json: unknown): Outcome {
  const success = loginSuccessSchema.safeParse(json);
  if (success.success) {
    const { user, authTicket } = success.data.data;
    return { kind: 'ticket', token: authTicket.token, expiresMs: authTicket.expires * 1000, accountId: accountIdFor(user.id) };
  }
  const redirect = loginRedirectSchema.safeParse(json);
  if (redirect.success) return { kind: 'redirect', region: redirect.data.data.region };
  throw lluError('LLU023', { params: { what: response.what, reason: 'status 0 without a ticket' }, status: response.httpStatus, cause: causeOf(response) });
}

/** One login (or step) answer → what it means; every failure is a coded error. */
export function readLoginResponse(response: WireResponse, options: Pick<LoginOptions, 'now' | 'rand' | 'version'>): Outcome {
  const locked = lockedError(response, response.json, options.rand);
  if (locked) throw locked;
  const limit = throttled(response, options.now(), options.rand);
  if (limit) throw limit;
  const outdated = outdatedVersion(response, options.version, options.rand);
  if (outdated) throw outdated;
  const cause = causeOf(response);
  if (response.httpStatus === 403) throw lluError('LLU015', { params: { version: options.version }, cause });
  if (response.httpStatus < 200 || response.httpStatus >= 300) throw unexpectedStatus(response);
  const json = jsonBody(response);
  const envelope = envelopeSchema.safeParse(json);
  const status = envelope.data?.status;
  const reason = envelope.data?.error?.message ?? `status ${String(status)}`;
  if (status === 0) return successOutcome(response, json);
  if (status === 2) throw lluError('LLU003', { params: { reason }, cause });
  if (status === 4) return stepOutcome(response, json);
  if (status === 911) throw lluError('LLU014', { cause });
  throw lluError('LLU024', { params: { what: response.what, status: String(status), reason }, status: response.httpStatus, cause });
}

/** Completes `tou` / `pp` steps when allowed; stops with the message for the user otherwise. */
async function settle(first: WireResponse, baseUrl: string, options: LoginOptions, signal: AbortSignal): Promise<Exclude<Outcome, { kind: 'step' }>> {
  let response = first;
  for (let steps = 0; ; steps += 1) {
    const outcome = readLoginResponse(response, options);
    if (outcome.kind !== 'step') return outcome;
    const document = TERMS_STEPS[outcome.type];
    const cause = causeOf(response);
    if (outcome.type === 'verifyEmail') throw lluError('LLU009', { cause });
    if (!document) throw lluError('LLU010', { params: { step: outcome.type }, cause });
    if (!options.acceptTerms) throw lluError('LLU008', { params: { document }, cause });
    if (steps >= MAX_STEPS) throw lluError('LLU010', { params: { step: `${outcome.type} after ${MAX_STEPS} accepted steps` }, cause });
    options.log.warn({ step: outcome.type }, `accepting the new LibreLink Up ${document} on the user's behalf (acceptTerms is set)`);
    response = await options.client.continueStep(baseUrl, outcome.type, outcome.token, signal);
  }
}

interface Hop {
  baseUrl: string;
  region: Region;
}

function nextHop(current: Hop, target: string, visited: Set<Region>, hops: number, options: LoginOptions): Hop {
  const region = regionKey(target);
  if (!region) throw lluError('LLU011', { params: { region: target } });
  if (hops > MAX_REDIRECTS) throw lluError('LLU013', { params: { max: MAX_REDIRECTS, region } });
  const baseUrl = options.pinnedServer ? current.baseUrl : regionBaseUrl(region);
  // With a pinned server every hop lands on the same host; only the region can tell a loop.
  if (visited.has(region) || (!options.pinnedServer && baseUrl === current.baseUrl)) {
    throw lluError('LLU012', { params: { region } });
  }
  visited.add(region);
  const where = options.pinnedServer ? `; staying on the configured server ${current.baseUrl}` : '';
  options.log.warn({ region, hop: hops }, `the LibreLink Up account lives in region ${region}: set CONNECT_LINK_UP_REGION=${region} to log in there directly${where}`);
  return { baseUrl, region };
}

/** Logs in, following redirects and (when allowed) accepting terms. Throws coded errors only. */
export async function login(options: LoginOptions, signal: AbortSignal): Promise<LoginResult> {
  let at: Hop = { baseUrl: options.baseUrl, region: options.region };
  const visited = new Set<Region>([options.region]);
  const credentials = { email: options.username, password: options.password };
  for (let hops = 1; ; hops += 1) {
    const response = await options.client.login(at.baseUrl, credentials, signal);
    const outcome = await settle(response, at.baseUrl, options, signal);
    if (outcome.kind === 'ticket') {
      return { token: outcome.token, expiresMs: outcome.expiresMs, accountId: outcome.accountId, baseUrl: at.baseUrl, region: at.region };
    }
    at = nextHop(at, outcome.region, visited, hops, options);
  }
}
