import type { Api, NightscoutClient } from '../../lib/nightscout/client.js';
import { nsError } from '../../lib/nightscout/errors.js';
import type { Site } from '../../lib/nightscout/site.js';

/**
 * Which Nightscout API the output writes with, and why: v3 takes only an
 * access token (exchanged for a JWT), v1 takes the API secret or the same JWT. A token means v3
 * where the server has it; a secret alone means v1.
 */

export type ApiSetting = 'auto' | 'v3' | 'v1';

export interface ApiDecision {
  api: Api;
  /** For the start-up log line: `API v3 with an access token (JWT)`. */
  how: string;
}

/** Decided from the settings alone, or only after asking the server whether it has v3. */
export type ApiPlan = { kind: 'decided'; decision: ApiDecision } | { kind: 'probe'; required: boolean };

function v1How(site: Site, why: string): string {
  return site.apiSecret ? `API v1 with the API secret (${why})` : `API v1 with the access token as a JWT (${why})`;
}

/** Throws the coded config error when the settings cannot work at all; does no I/O. */
export function planApi(site: Site, setting: ApiSetting): ApiPlan {
  if (!site.token && !site.apiSecret) throw nsError('NS001', { params: { ...site.names } });
  if (setting === 'v3' && !site.token) throw nsError('NS015', { params: { ...site.names } });
  if (setting === 'v1') return { kind: 'decided', decision: { api: 'v1', how: v1How(site, 'API v1 was configured') } };
  if (!site.token) return { kind: 'decided', decision: { api: 'v1', how: v1How(site, 'no token given') } };
  return { kind: 'probe', required: setting === 'v3' };
}

/** Asks the server (`/api/v3/version`, public); transport and 5xx errors propagate (retryable). */
export async function probeApi(client: NightscoutClient, required: boolean, signal: AbortSignal): Promise<ApiDecision> {
  if (await client.hasV3(signal)) return { api: 'v3', how: 'API v3 with an access token (JWT)' };
  if (required) throw nsError('NS010', { params: { ...client.site.names, status: 404 } });
  return { api: 'v1', how: v1How(client.site, 'the server has no API v3') };
}
