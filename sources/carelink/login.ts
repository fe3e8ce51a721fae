import type { CareLinkClient } from './client.js';
import type { Endpoints } from './discovery.js';
import { clError } from './errors.js';
import { regionOfHost, type Region } from './hosts.js';
import { jwtExpiryMs } from './jwt.js';
import type { LoginRecord } from './persisted.js';
import { tokenAnswer } from './responses.js';
import { nextRecord } from './tokens.js';
import { firstIssue, loginDataSchema, MAG_FIELDS } from './wire.js';

/** The two ways a login gets into the state store: a fresh code exchange, or an imported logindata.json. */

/** `POST <token_endpoint>` with the pasted code and the PKCE verifier. CL010 when CareLink refuses the code. */
export async function exchangeCode(
  client: CareLinkClient,
  endpoints: Endpoints,
  code: string,
  verifier: string,
  signal: AbortSignal,
  now: () => number,
): Promise<LoginRecord> {
  const response = await client.send(
    {
      what: 'the code exchange',
      url: endpoints.tokenUrl,
      form: { grant_type: 'authorization_code', client_id: endpoints.clientId, code, redirect_uri: endpoints.redirectUri, code_verifier: verifier },
    },
    signal,
  );
  const outcome = tokenAnswer(response, now());
  if (outcome.kind === 'refused') throw clError('CL010', { params: { reason: outcome.reason }, cause: outcome.cause });
  if (outcome.tokens.refresh_token === undefined) {
    throw clError('CL019', { params: { what: response.what, reason: 'no refresh_token (was offline_access granted?)' } });
  }
  const previous = {
    refreshToken: outcome.tokens.refresh_token,
    clientId: endpoints.clientId,
    tokenUrl: endpoints.tokenUrl,
    ...(endpoints.audience === undefined ? {} : { audience: endpoints.audience }),
    scope: endpoints.scope,
    region: endpoints.region,
    origin: 'login' as const,
  };
  return nextRecord(previous, outcome.tokens, now());
}

/**
 * An Auth0-era `logindata.json` → a login record. The region comes from the token URL's host
 * (`minimed.eu` / `minimed.com`), else from the configuration. MAG-era files are refused (CL012).
 */
export function importLoginData(text: string, file: string, configured: Region | undefined, nowMs: number): LoginRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw clError('CL011', { params: { file, reason: 'it is not JSON' } });
  }
  if (typeof json === 'object' && json !== null && MAG_FIELDS.some((f) => f in json) && !('token_url' in json)) {
    throw clError('CL012', { params: { file } });
  }
  const parsed = loginDataSchema.safeParse(json);
  if (!parsed.success) throw clError('CL011', { params: { file, reason: firstIssue(parsed.error) } });
  const data = parsed.data;
  const fromUrl = regionOfHost(new URL(data.token_url).hostname);
  if (fromUrl !== undefined && configured !== undefined && fromUrl !== configured) {
    throw clError('CL007', { params: { saved: fromUrl, configured } });
  }
  const region = fromUrl ?? configured;
  if (region === undefined) throw clError('CL005');
  return {
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    clientId: data.client_id,
    tokenUrl: data.token_url,
    ...(data.audience === undefined ? {} : { audience: data.audience }),
    ...(data.scope === undefined ? {} : { scope: data.scope }),
    // Unknown expiry counts as expired: the first call refreshes, which also proves the file works.
    expiresAt: jwtExpiryMs(data.access_token) ?? 0,
    region,
    origin: 'import',
    savedAt: nowMs,
  };
}
