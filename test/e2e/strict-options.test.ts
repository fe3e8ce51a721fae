import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.js';

/**
 * A mistyped command or option is refused before anything runs: no port bound, no vendor called,
 * no folder created, nothing printed on stdout — one coded line and exit 2.
 */

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

/** A source that counts every request it gets. */
async function countingSource(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(500).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

async function expectRefused(args: string[], suggestion: string, env: Record<string, string> = {}): Promise<void> {
  const cwd = tempDir();
  const run = await runCli(args, { cwd, env, timeoutMs: 10_000 });
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toContain('[CLI001]');
  expect(run.stderr).toContain(suggestion);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stdout).toBe('');
  // Neither the data folder nor the state folder: the command never started.
  expect(readdirSync(cwd)).toEqual([]);
}

describe('strict command line', () => {
  it('forever --htpp is refused before the HTTP API binds or a bridge runs', async () => {
    const source = await countingSource();
    await expectRefused(['forever', '--htpp', '127.0.0.1:8081'], 'Unknown argument: htpp. Did you mean --http?', {
      GLUCO_HUB__HTTP__ENABLED: 'true',
      GLUCO_HUB__HTTP__BIND: '127.0.0.1:0',
      CONNECT_SOURCE: 'nightscout',
      CONNECT_SOURCE_ENDPOINT: source.url,
      CONNECT_SOURCE_TOKEN: 'follower-token',
    });
    expect(source.requests()).toBe(0);
  });

  it('capture --bogus makes no fetch', async () => {
    const source = await countingSource();
    await expectRefused(['capture', '--bogus'], 'Unknown argument: bogus', {
      CONNECT_SOURCE: 'nightscout',
      CONNECT_SOURCE_ENDPOINT: source.url,
      CONNECT_SOURCE_TOKEN: 'follower-token',
    });
    expect(source.requests()).toBe(0);
  });

  it('capture --jsn suggests --json', async () => {
    await expectRefused(['capture', '--jsn'], 'Did you mean --json?');
  });

  it('check-config --bogus prints no configuration', async () => {
    await expectRefused(['check-config', '--bogus'], 'Unknown argument: bogus');
  });

  it('an unknown command names itself and the command it resembles', async () => {
    await expectRefused(['--log-level', 'debug', 'forevr'], 'Unknown command: forevr. Did you mean forever?');
  });

  it('login and dlq are as strict', async () => {
    await expectRefused(['login', 'carelink', '--imprt', 'x.json'], 'Did you mean --import?');
    await expectRefused(['dlq', 'list', '--jsn'], 'Did you mean --json?');
    await expectRefused(['dlq', 'lst'], 'Invalid values: Argument: action, Given: "lst"');
  });

  it('a stray word after a command is refused too', async () => {
    await expectRefused(['capture', 'now'], 'Unknown command: now');
  });
});
