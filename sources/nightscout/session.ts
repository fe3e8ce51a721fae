import type { Logger } from '../../lib/logger.js';
import type { Api, NightscoutClient } from '../../lib/nightscout/client.js';
import type { SessionFunctions } from '../../lib/contracts/source.js';

/** How gluco-hub reaches the source site. */
export type Credentials = 'token' | 'secret' | 'anonymous';

export interface NssAuth {
  credentials: Credentials;
}

/** The API every loop reads, decided once per session. */
export interface NssSession {
  api: Api;
}

/**
 * `authenticate` resolves the credentials (a token becomes a JWT, so a wrong token is NS004
 * here); `authorize` picks the API. The client renews the JWT ahead of its 8 h expiry by itself,
 * so the session never expires on a timer; a refused credential on a read is an AuthError.
 */
export function nightscoutSession(client: NightscoutClient, log: Logger): SessionFunctions<NssAuth, NssSession> {
  const { site } = client;
  return {
    async authenticate(signal) {
      await client.resolveCredentials(signal);
      const credentials: Credentials = site.token ? 'token' : site.apiSecret ? 'secret' : 'anonymous';
      return { credentials };
    },
    async authorize(auth, signal) {
      if (auth.credentials !== 'token') {
        const how = auth.credentials === 'secret' ? 'with the API secret (API v3 needs an access token)' : 'without credentials: the site must be readable by anyone';
        log.info({ api: 'v1', credentials: auth.credentials }, `reading ${site.names.site} through API v1 ${how}`);
        return { api: 'v1' };
      }
      if (await client.hasV3(signal)) {
        log.info({ api: 'v3', credentials: auth.credentials }, `reading ${site.names.site} through API v3 with the access token`);
        return { api: 'v3' };
      }
      const fallback = site.apiSecret ? 'the API secret' : 'the access token (JWT)';
      log.info({ api: 'v1', credentials: auth.credentials }, `${site.names.site} has no API v3 (/api/v3/version is 404): reading API v1 with ${fallback}`);
      return { api: 'v1' };
    },
  };
}
