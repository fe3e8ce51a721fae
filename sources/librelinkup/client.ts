import type { AxiosInstance } from 'axios';
import { MiB, sharedHttpClient } from '../../lib/http.js';
import type { RequestGate } from '../../lib/request-budget.js';
import type { Secret } from '../../lib/secret.js';
import { sendWire, type WireRequest, type WireResponse } from '../../lib/wire.js';
import { lluError } from './errors.js';
import { authHeaders, baseHeaders, bearerHeaders, jsonHeaders, type AppIdentity } from './headers.js';

/**
 * HTTP only: builds the LibreLink Up requests and returns what came back, unread. What a status
 * or body *means* is decided in responses.ts and login.ts. Only transport failures throw here.
 */

export type { WireResponse } from '../../lib/wire.js';

/** What an authenticated call needs: where, with which ticket, as whom. */
export interface Ticket {
  baseUrl: string;
  token: Secret;
  /** SHA-256 of the logged-in user's id (headers.ts). */
  accountId: string;
}

export interface LluClient {
  login(baseUrl: string, credentials: { email: string; password: Secret }, signal: AbortSignal): Promise<WireResponse>;
  /** Accepts a `tou` / `pp` step with its step token (no `/llu` prefix). */
  continueStep(baseUrl: string, step: string, stepToken: Secret, signal: AbortSignal): Promise<WireResponse>;
  connections(ticket: Ticket, signal: AbortSignal): Promise<WireResponse>;
  graph(ticket: Ticket, patientId: string, signal: AbortSignal): Promise<WireResponse>;
}

/** The largest LibreLink Up answer read (WIRE001): a 12-h graph is ~40 KB, the connections list less. */
export const LLU_MAX_ANSWER_BYTES = 4 * MiB;

/**
 * The client for one driver; no I/O until a method is called. `gate`: the fleet's shared request
 * budget; `http`: the shared client unless a test shortens its timeout (every request's deadline).
 */
export function createLluClient(app: AppIdentity, gate?: RequestGate, http: AxiosInstance = sharedHttpClient()): LluClient {
  const send = (client: AxiosInstance, request: WireRequest): Promise<WireResponse> =>
    sendWire(
      client,
      { ...request, maxBytes: LLU_MAX_ANSWER_BYTES },
      (failure) => lluError('LLU025', { params: { host: failure.host, reason: failure.reason }, cause: failure.cause }),
      gate,
    );
  const common = baseHeaders(app);
  return {
    login: (baseUrl, credentials, signal) =>
      send(http, {
        what: 'the login',
        method: 'POST',
        url: `${baseUrl}/llu/auth/login`,
        headers: { ...common, ...jsonHeaders() },
        body: { email: credentials.email, password: credentials.password.reveal() },
        signal,
      }),
    continueStep: (baseUrl, step, stepToken, signal) =>
      send(http, {
        what: `accepting "${step}"`,
        method: 'POST',
        url: `${baseUrl}/auth/continue/${encodeURIComponent(step)}`,
        headers: { ...common, ...jsonHeaders(), ...bearerHeaders(stepToken.reveal()) },
        body: {},
        signal,
      }),
    connections: (ticket, signal) =>
      send(http, {
        what: 'the connections list',
        method: 'GET',
        url: `${ticket.baseUrl}/llu/connections`,
        headers: { ...common, ...authHeaders(ticket.token.reveal(), ticket.accountId) },
        signal,
      }),
    graph: (ticket, patientId, signal) =>
      send(http, {
        what: 'the graph',
        method: 'GET',
        url: `${ticket.baseUrl}/llu/connections/${encodeURIComponent(patientId)}/graph`,
        headers: { ...common, ...authHeaders(ticket.token.reveal(), ticket.accountId) },
        signal,
      }),
  };
}
