import { createServer, request as httpRequest } from 'node:http';
import { listenLocal, readText } from './local-server.js';
import { startFakeLibreLinkUp, type FakeLibreLinkUp } from './llu-server.js';

/**
 * Many LibreLink Up follower accounts behind one host (one port), as the real cloud is: one fake
 * per account, and a front that sends each request to its account's fake — a login by its e-mail,
 * a data call by its `account-id` header. One host matters where the vendor budget is counted per
 * host: a fake per port would be a host per account. The front keeps the log of who asked for
 * which account when; each fake still counts its own logins.
 */

export interface AccountRequest {
  /** Index of the account (its fake) in `accounts`; -1 when the request named none. */
  account: number;
  method: string;
  path: string;
  status: number;
  at: number;
  /** The caller's source address (an egress address reaches the socket). */
  from: string;
}

export interface FakeLibreLinkUpAccounts {
  url: string;
  accounts: FakeLibreLinkUp[];
  requests: AccountRequest[];
  close(): Promise<void>;
}

export async function startFakeLibreLinkUpAccounts(count: number): Promise<FakeLibreLinkUpAccounts> {
  const accounts = await Promise.all(
    Array.from({ length: count }, (_, i) => startFakeLibreLinkUp({ email: `follower${i}@example.test`, userId: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}` })),
  );
  const byEmail = new Map(accounts.map((a, i) => [a.scenario.email.toLowerCase(), i]));
  const byAccountId = new Map(accounts.map((a, i) => [a.accountId(), i]));
  const requests: AccountRequest[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readText(req);
      const path = req.url ?? '/';
      let account = -1;
      if (path.startsWith('/llu/auth/login')) {
        try {
          account = byEmail.get(String((JSON.parse(body) as { email?: unknown }).email).toLowerCase()) ?? -1;
        } catch {
          account = -1;
        }
      } else {
        account = byAccountId.get(String(req.headers['account-id'] ?? '')) ?? -1;
      }
      const record: AccountRequest = { account, method: req.method ?? 'GET', path, status: 0, at: Date.now(), from: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '') };
      requests.push(record);
      // A request naming no account goes to the first, which answers it as the cloud would (401, config).
      const target = new URL(path, accounts[Math.max(0, account)]!.url);
      const upstream = httpRequest(target, { method: record.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        record.status = answer.statusCode ?? 0;
        res.writeHead(record.status, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (err) => res.writeHead(502).end(err.message));
      upstream.end(body);
    })();
  });
  const listening = await listenLocal(server);
  return {
    url: listening.url,
    accounts,
    requests,
    async close() {
      await listening.close();
      await Promise.all(accounts.map((a) => a.close()));
    },
  };
}
