import http from 'node:http';
import https from 'node:https';
import type { AxiosInstance, CreateAxiosDefaults } from 'axios';
import { axios } from './axios-without-undici.js';

/**
 * One keep-alive agent pair for the whole process: a thousand bridges share sockets per host
 * instead of opening one per request. axios over Node's http keeps undici (and its memory) out
 * (lib/axios-without-undici.ts).
 */
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

/**
 * Request timeout unless a driver sets its own: a hung vendor must not hold a frame forever. It is
 * also every request's overall deadline, answer included (lib/wire.ts), since axios' `timeout`
 * only measures silence and a server that trickles bytes never goes silent.
 */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

export const MiB = 1024 * 1024;

/**
 * The largest body sent or received unless a caller sets its own (`WireRequest.maxBytes`): a
 * vendor answer is kilobytes (a LibreLink Up graph ~40 KB, a day of Dexcom Share ~30 KB); a
 * server that sends hundreds of megabytes is broken or hostile, and reading it all would cost the
 * process its memory. Counted after decompression, so a compressed bomb stops here too.
 */
export const DEFAULT_MAX_BODY_BYTES = 4 * MiB;

/**
 * A keep-alive agent pair per egress address (`localAddress`): a kept-alive socket is reused only
 * by requests that leave from its own address, so one address's sockets never carry another's load.
 */
const bound = new Map<string, { httpAgent: http.Agent; httpsAgent: https.Agent }>();

export function agentsFrom(localAddress: string): { httpAgent: http.Agent; httpsAgent: https.Agent } {
  let agents = bound.get(localAddress);
  if (!agents) {
    agents = { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64, localAddress }), httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64, localAddress }) };
    bound.set(localAddress, agents);
  }
  return agents;
}

let shared: AxiosInstance | undefined;

/** The one client for callers without defaults of their own: a fleet shares it, not one per bridge. */
export function sharedHttpClient(): AxiosInstance {
  return (shared ??= createHttpClient({}));
}

export function createHttpClient(defaults: CreateAxiosDefaults): AxiosInstance {
  return axios.create({
    timeout: DEFAULT_HTTP_TIMEOUT_MS,
    maxContentLength: DEFAULT_MAX_BODY_BYTES,
    maxBodyLength: DEFAULT_MAX_BODY_BYTES,
    httpAgent,
    httpsAgent,
    // Drivers read the status themselves; vendors put errors in 200 bodies and HTML in 4xx.
    validateStatus: () => true,
    maxRedirects: 0,
    proxy: false,
    // Named, not left to axios' order: the fetch adapter would load undici (see above).
    adapter: 'http',
    ...defaults,
  });
}
