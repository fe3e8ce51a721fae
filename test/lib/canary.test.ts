import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { Hub } from '../../app/hub.js';
import { createLogger } from '../../lib/logger.js';
import { Secret } from '../../lib/secret.js';
import { tempDir } from '../e2e/cli.js';
import { leakyVendorDriver } from '../fakes/leaky-vendor.js';
import { startFakeNightscout } from '../fakes/nightscout-server.js';

const PASSWORD = 'canary-pw-93f1e';
const SECRET = 'canary-api-secret-7a1b';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

afterEach(() => vi.restoreAllMocks());

describe('secrets never reach logs, stdout or stderr', () => {
  it('a failing then succeeding cycle into Nightscout at trace level leaks no password, token, secret, hash or JWT', async () => {
    const printed: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk));
        return true;
      });
    }
    const logged: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    const cwd = tempDir();
    const site = await startFakeNightscout({ apiSecret: SECRET, roles: { uploader: ['api:*:create', 'api:*:update', 'api:*:read'] }, subjects: { canary: ['uploader'] } });
    const TOKEN = site.token('canary');
    const config = loadConfig({
      env: { GLUCO_HUB__LOG__LEVEL: 'trace', CONNECT_NIGHTSCOUT_URL: `${site.url}/?token=${TOKEN}`, CONNECT_API_SECRET: SECRET },
      cwd,
    });
    const bridge = { ...config.bridges[0]!, filesystem: { dir: join(cwd, 'data'), mode: 0o600 } };
    const log = createLogger({ level: 'trace', format: 'json', destination });
    const done: string[] = [];
    const hub = new Hub({
      log,
      createDriver: () => Promise.resolve(leakyVendorDriver({ username: 'me@example.com', password: new Secret(PASSWORD) }, Date.now) as never),
      observe: (e) => {
        if (e.type === 'frame.done') done.push(e.result.outcome);
      },
    });
    log.info({ config }, 'effective configuration');
    await hub.start({ ...config, bridges: [bridge] });
    await vi.waitFor(() => expect(done).toContain('success'), { timeout: 10_000, interval: 20 });
    await hub.stop();
    await site.close();

    const everything = [...printed, ...logged, ...filesUnder(cwd).map((f) => readFileSync(f, 'utf8'))].join('\n');
    expect(logged.join('')).toContain('attempt failed');
    expect(everything).not.toContain(PASSWORD);
    expect(site.count('entries')).toBeGreaterThan(0);
    expect(site.counters.jwtIssued).toBeGreaterThan(0);
    for (const secret of [TOKEN, SECRET, site.apiSecretSha1, site.apiSecretSha512]) expect(everything).not.toContain(secret);
    // A JWT starts with the base64 of `{"alg"`.
    expect(everything).not.toContain('eyJhbGci');
  });
});
