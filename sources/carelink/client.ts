import { sharedHttpClient } from '../../lib/http.js';
import type { RequestGate } from '../../lib/request-budget.js';
import type { Secret } from '../../lib/secret.js';
import { packageVersion } from '../../lib/version.js';
import { sendWire, type WireResponse } from '../../lib/wire.js';
import { clError } from './errors.js';
import type { Via } from './hosts.js';

/**
 * HTTP only: sends a CareLink request and returns what came back, unread (responses.ts decides
 * what it means). Every URL goes through `via`, so a pinned server gets every request. Only
 * transport failures throw here (CL020); no token ever goes into `what`.
 */

export type { WireResponse } from '../../lib/wire.js';

export interface CareLinkRequest {
  what: string;
  url: string;
  bearer?: Secret;
  /** POSTed as JSON. */
  json?: unknown;
  /** POSTed form-encoded (the token endpoint). */
  form?: Record<string, string>;
}

export interface CareLinkClient {
  send(request: CareLinkRequest, signal: AbortSignal): Promise<WireResponse>;
}

/** `gate`: the fleet's shared per-host request budget. */
export function createCareLinkClient(via: Via, gate?: RequestGate): CareLinkClient {
  const http = sharedHttpClient();
  return {
    send: (request, signal) =>
      sendWire(
        http,
        {
          what: request.what,
          method: request.json === undefined && request.form === undefined ? 'GET' : 'POST',
          url: via(request.url),
          headers: {
            accept: 'application/json',
            'user-agent': `gluco-hub/${packageVersion()}`,
            ...(request.bearer ? { authorization: `Bearer ${request.bearer.reveal()}` } : {}),
          },
          body: request.json,
          ...(request.form ? { form: request.form } : {}),
          signal,
        },
        (failure) => clError('CL020', { params: { host: failure.host, reason: failure.reason }, cause: failure.cause }),
        gate,
      ),
  };
}
