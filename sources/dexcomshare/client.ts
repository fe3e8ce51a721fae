import type { AxiosInstance } from 'axios';
import { MiB, sharedHttpClient } from '../../lib/http.js';
import type { RequestGate } from '../../lib/request-budget.js';
import type { Secret } from '../../lib/secret.js';
import { packageVersion } from '../../lib/version.js';
import { sendWire, type WireRequest, type WireResponse } from '../../lib/wire.js';
import { dexError } from './errors.js';

/**
 * HTTP only: builds the three Dexcom Share requests (all POST, JSON) and
 * returns what came back, unread. What a status or body *means* is decided in responses.ts.
 * Only transport failures throw here (DEX013). No URL with a session id ever goes into `what`.
 */

export type { WireResponse } from '../../lib/wire.js';

/** Where to send and as which application (the region's application id). */
export interface Endpoint {
  baseUrl: string;
  applicationId: string;
}

export interface ShareClient {
  /** Step 1: account name + password → account id (a JSON string). */
  authenticate(endpoint: Endpoint, accountName: string, password: Secret, signal: AbortSignal): Promise<WireResponse>;
  /** Step 2: account id + password → session id (a JSON string). */
  loginById(endpoint: Endpoint, accountId: Secret, password: Secret, signal: AbortSignal): Promise<WireResponse>;
  /** Readings, newest first; `minutes` 1..1440, `maxCount` 1..288. */
  readings(endpoint: Endpoint, sessionId: Secret, query: { minutes: number; maxCount: number }, signal: AbortSignal): Promise<WireResponse>;
}

function headers(): Record<string, string> {
  return { accept: 'application/json', 'content-type': 'application/json', 'user-agent': `gluco-hub/${packageVersion()}` };
}

/** The largest Share answer read (WIRE001): 24 h of readings (288) is ~30 KB. */
export const SHARE_MAX_ANSWER_BYTES = 4 * MiB;

/** `gate`: the fleet's shared request budget; `http`: the shared client unless a test shortens its timeout. */
export function createShareClient(gate?: RequestGate, http: AxiosInstance = sharedHttpClient()): ShareClient {
  const send = (client: AxiosInstance, request: WireRequest): Promise<WireResponse> =>
    sendWire(
      client,
      { ...request, maxBytes: SHARE_MAX_ANSWER_BYTES },
      (failure) => dexError('DEX013', { params: { host: failure.host, reason: failure.reason }, cause: failure.cause }),
      gate,
    );
  return {
    authenticate: (endpoint, accountName, password, signal) =>
      send(http, {
        what: 'the login (AuthenticatePublisherAccount)',
        method: 'POST',
        url: `${endpoint.baseUrl}/General/AuthenticatePublisherAccount`,
        headers: headers(),
        body: { accountName, password: password.reveal(), applicationId: endpoint.applicationId },
        signal,
      }),
    loginById: (endpoint, accountId, password, signal) =>
      send(http, {
        what: 'the login (LoginPublisherAccountById)',
        method: 'POST',
        url: `${endpoint.baseUrl}/General/LoginPublisherAccountById`,
        headers: headers(),
        body: { accountId: accountId.reveal(), password: password.reveal(), applicationId: endpoint.applicationId },
        signal,
      }),
    readings: (endpoint, sessionId, query, signal) => {
      const params = new URLSearchParams({ sessionId: sessionId.reveal(), minutes: String(query.minutes), maxCount: String(query.maxCount) });
      return send(http, {
        what: 'the readings (ReadPublisherLatestGlucoseValues)',
        method: 'POST',
        url: `${endpoint.baseUrl}/Publisher/ReadPublisherLatestGlucoseValues?${params.toString()}`,
        headers: headers(),
        body: {},
        signal,
      });
    },
  };
}
