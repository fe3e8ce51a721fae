import type { AxiosInstance } from 'axios';
import { sharedHttpClient } from '../../lib/http.js';
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
  /** Accepts a `tou` / `pp` step with its step token (no `/llu` prefix: vendor-apis.md §1.2). */
  continueStep(baseUrl: string, step: string, stepToken: Secret, signal: AbortSignal): Promise<WireResponse>;
  connections(ticket: Ticket, signal: AbortSignal): Promise<WireResponse>;
  graph(ticket: Ticket, patientId: string, signal: AbortSignal): Promise<WireResponse>;
}

/** The client for one driver; no I/O until a method is called. `gate`: the fleet's shared request budget. */
export function createLluClient(app: AppIdentity, gate?: RequestGate): LluClient {
  const send = (http: AxiosInstance, request: WireRequest): Promise<WireResponse> =>
    sendWire(http, request, (failure) => lluError('LLU025', { params: { host: failure.host, reason: failure.reason }, cause: failure.cause }), gate);
  const http = sharedHttpClient();
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
