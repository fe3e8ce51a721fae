import type { AxiosInstance } from 'axios';
import { MiB, sharedHttpClient } from '../../lib/http.js';
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

/**
 * The largest CareLink answer read (WIRE001). A day of a pump (`display/message`: 288 sensor
 * values, markers, alarms) is a few hundred KB; twice the others' cap leaves room for busy days.
 */
export const CARELINK_MAX_ANSWER_BYTES = 8 * MiB;

/** `gate`: the fleet's shared per-host request budget; `http`: the shared client unless a test shortens its timeout. */
export function createCareLinkClient(via: Via, gate?: RequestGate, http: AxiosInstance = sharedHttpClient()): CareLinkClient {
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
          maxBytes: CARELINK_MAX_ANSWER_BYTES,
        },
        (failure) => clError('CL020', { params: { host: failure.host, reason: failure.reason }, cause: failure.cause }),
        gate,
      ),
  };
}
