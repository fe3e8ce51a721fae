/**
 * A configured `server` → base URL, for every vendor driver: `host[:port]` means https; a full
 * http(s) URL is kept (with its path, for proxies), minus a trailing slash. Anything else —
 * another scheme, a query, a fragment, credentials in the URL — is handed to `invalid`, which
 * builds the driver's own coded ConfigError (`shown` is safe to print: never the userinfo).
 */
export function serverBaseUrl(server: string, invalid: (shown: string, cause?: unknown) => Error): string {
  const text = server.trim();
  const candidate = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch (cause) {
    throw invalid(server, cause);
  }
  const valid = (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.search && !url.hash;
  if (!valid || url.username || url.password) throw invalid(url.host || server);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
