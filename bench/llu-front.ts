import { request } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FakeLibreLinkUp } from '../test/fakes/llu-server.js';

/**
 * One bridge's front door to the shared fake LibreLink Up: HTTPS on 127.0.0.1 (the real cloud is
 * HTTPS only, and nightscout-connect 0.0.12 forces `https://`), forwarding to the fake's plain HTTP
 * port and counting what this bridge asked. Lenient the way the old peer needs: 0.0.12 sends no
 * `account-id` (the cloud started requiring it after 0.0.12 shipped), so a data call without one
 * gets the fake's expected value added; a client that sends one is passed through untouched.
 */

export interface LluFront {
  /** `host:port`, as nightscout-connect's `CONNECT_LINK_UP_SERVER` takes it. */
  hostPort: string;
  /** `https://host:port`, as gluco-hub's `CONNECT_LINK_UP_SERVER` takes it. */
  url: string;
  /** Requests this front forwarded. */
  requests(): number;
  close(): Promise<void>;
}

export async function startLluFront(llu: FakeLibreLinkUp, tls: { key: string; cert: string }): Promise<LluFront> {
  const upstream = new URL(llu.url);
  let forwarded = 0;
  const server = createServer(tls, (req, res) => {
    forwarded++;
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: upstream.host };
    if (headers.authorization !== undefined && headers['account-id'] === undefined) headers['account-id'] = llu.accountId();
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostPort: `127.0.0.1:${port}`,
    url: `https://127.0.0.1:${port}`,
    requests: () => forwarded,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
