import { UpstreamError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import type { Secret } from '../../lib/secret.js';
import type { SourceDriver } from '../../lib/contracts/source.js';

/**
 * A fake vendor driver that behaves like a careless HTTP client: its errors carry the request
 * (headers with the token, body with the password) the way axios errors do — once wrapped in a coded
 * error's `cause`, once raw. The first login fails, the first data call fails, then it works, so a
 * canary test sees a failing and a succeeding cycle.
 */
export function leakyVendorDriver(credentials: { username: string; password: Secret }, now: () => number): SourceDriver<string, { token: Secret }> {
  let logins = 0;
  let fetches = 0;
  const request = (token: string) => ({
    config: { headers: { Authorization: `Bearer ${token}`, 'api-secret': token }, data: { username: credentials.username, password: credentials.password.reveal() } },
  });
  return {
    kind: 'simulator',
    device: 'leaky-vendor',
    session: {
      authenticate() {
        logins += 1;
        if (logins === 1) {
          const cause = Object.assign(new Error(`login refused for ${credentials.username}`), request(credentials.password.reveal()));
          return Promise.reject(new UpstreamError('FAKE001', 'vendor login failed', 503, { cause }));
        }
        return Promise.resolve(credentials.password.reveal());
      },
      authorize: (auth) => Promise.resolve({ token: { reveal: () => `tok-${auth}`, toJSON: () => '***', toString: () => '***' } as unknown as Secret }),
    },
    loops: [
      {
        name: 'entries',
        collections: ['entries'],
        expectedIntervalMs: 60_000,
        lagMs: 1_000,
        historyMs: 3_600_000,
        maxRetries: 3,
        backoff: { baseMs: 10, capMs: 20 },
        fetch(session) {
          fetches += 1;
          if (fetches === 1) {
            // An unwrapped client error, as a driver that forgot to classify it would throw.
            return Promise.reject(Object.assign(new Error('socket hang up'), request(session.token.reveal())));
          }
          return Promise.resolve({ readings: [{ t: now() - 30_000, v: 123 }] });
        },
        transform(raw) {
          const { readings } = raw as { readings: { t: number; v: number }[] };
          return {
            entries: readings.map((r) => ({
              type: 'sgv' as const,
              sgv: r.v,
              date: r.t,
              dateString: new Date(r.t).toISOString(),
              device: 'leaky-vendor',
              identifier: syncIdentifier({ device: 'leaky-vendor', date: r.t }),
            })),
            treatments: [],
            devicestatus: [],
          };
        },
      },
    ],
  };
}
