import { responseMessage, type NightscoutClient } from '../../lib/nightscout/client.js';
import { nsError } from '../../lib/nightscout/errors.js';
import { responseCause, type WireResponse } from '../../lib/wire.js';

/**
 * What a 4xx on a write means. Most say "not this document" (rejected, counted, never retried), but
 * a 404 or 405 says the endpoint is not there — a wrong URL or path prefix, not a bad document —
 * and rejecting every reading for it would lose them all, so that one is thrown and retried.
 */
export function refusalError(client: NightscoutClient, response: WireResponse): { rejected: Error } | { thrown: Error } {
  const status = response.httpStatus;
  const params = { site: client.site.names.site, what: response.what, status };
  if (status === 404 || status === 405) {
    return { thrown: nsError('NS007', { params: { ...params, reason: ' (is the URL the Nightscout site, with its path prefix?)' }, status, cause: responseCause(response) }) };
  }
  return { rejected: nsError('NS012', { params: { ...params, reason: responseMessage(response) }, status, cause: responseCause(response) }) };
}
