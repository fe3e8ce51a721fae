import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';

/**
 * One keep-alive agent pair for the whole process: a thousand bridges share sockets per host
 * instead of opening one per request. axios over Node's http keeps undici (and its memory) out.
 */
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

/** Request timeout unless a driver sets its own: a hung vendor must not hold a frame forever. */
export const DEFAULT_HTTP_TIMEOUT_MS = 30_000;

let shared: AxiosInstance | undefined;

/** The one client for callers without defaults of their own: a fleet shares it, not one per bridge. */
export function sharedHttpClient(): AxiosInstance {
  return (shared ??= createHttpClient({}));
}

export function createHttpClient(defaults: CreateAxiosDefaults): AxiosInstance {
  return axios.create({
    timeout: DEFAULT_HTTP_TIMEOUT_MS,
    httpAgent,
    httpsAgent,
    // Drivers read the status themselves; vendors put errors in 200 bodies and HTML in 4xx.
    validateStatus: () => true,
    maxRedirects: 0,
    proxy: false,
    ...defaults,
  });
}
