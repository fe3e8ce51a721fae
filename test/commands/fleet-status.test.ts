import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../commands/cli.js';
import { parseHolder } from '../../app/fleet/status.js';
import { heldFor } from '../../commands/fleet-print.js';
import { redisLeaseStore } from '../../lib/fleet/lease-store.js';
import { createSharedBudget } from '../../lib/fleet/shared-budget.js';
import { createLogger } from '../../lib/logger.js';
import { freePort } from '../fakes/brokers.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';
import { tempDir } from '../e2e/cli.js';

/**
 * `gluco-hub fleet status` against a private Redis whose leases the real lease store wrote, as
 * `forever` processes would: who holds what, time left, epochs, the bridges nobody holds.
 */

const PREFIX = 'status-test';
const LEASE_MS = 30_000;

interface StatusJson {
  redis: { url: string; prefix: string; password: string | null };
  leaseMs: number;
  bridges: { bridge: string; configured: boolean; holder: { token: string; host?: string; pid?: number } | null; epoch: number; remainingMs: number | null; heldForMs: number | null; renewedAgoMs: number | null; late: boolean }[];
  holders: { holder: { token: string; host?: string; pid?: number }; bridges: string[] }[];
  unheld: string[];
  unconfigured: string[];
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  try {
    process.exitCode = undefined;
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    process.exitCode = undefined;
  }
}

function configFile(state: Record<string, string>, bridges = ['alice', 'bob', 'carol', 'dave']): string {
  const file = join(tempDir('gh-fleet-status-'), 'bridges.json');
  writeFileSync(file, JSON.stringify({ state, fleet: { leaseMs: LEASE_MS }, bridges: bridges.map((id) => ({ id, source: { kind: 'simulator' } })) }));
  return file;
}

it('parses a holder token into host and pid, and keeps one of another shape whole', () => {
  expect(parseHolder('web-1.example:4242:a1b2c3d4e5f6')).toEqual({ token: 'web-1.example:4242:a1b2c3d4e5f6', host: 'web-1.example', pid: 4242 });
  expect(parseHolder('fe80::1:17:abc')).toEqual({ token: 'fe80::1:17:abc', host: 'fe80::1', pid: 17 });
  expect(parseHolder('something-else')).toEqual({ token: 'something-else' });
  expect(parseHolder('a:b:c')).toEqual({ token: 'a:b:c' });
});

it('says how long a lease is held in the unit a person reads at a glance', () => {
  expect([null, 0, 42_900, 60_000, 17 * 60_000 + 59_000, 3 * 3_600_000 + 5 * 60_000, 52 * 3_600_000].map(heldFor)).toEqual(['', '0 s', '42 s', '1 min', '17 min', '3 h 05 min', '2 d 4 h']);
});

describe('without a state URL', () => {
  it('refuses with a coded error (exit 2) naming the setting', async () => {
    const file = join(tempDir('gh-fleet-status-'), 'bridges.json');
    writeFileSync(file, JSON.stringify({ bridges: [{ id: 'alice', source: { kind: 'simulator' } }] }));
    const run = await cli(['fleet', 'status', '--config', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('[FLEET010]');
    expect(run.stderr).toContain('GLUCO_HUB__STATE__URL');
    expect(run.stdout).toBe('');
  });

  it('says so (FLEET011, exit 1) when nothing answers at the URL', async () => {
    const run = await cli(['fleet', 'status', '--config', configFile({ url: `redis://127.0.0.1:${await freePort()}`, prefix: PREFIX })]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('[FLEET011]');
  });
});

describe.skipIf(!HAVE_REDIS)('fleet status on a private Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.close());
  afterEach(() => redis.client.flushall());

  /** Two processes' leases as `forever` takes them, one stuck process, and a lease on a bridge another config names. */
  async function leases(): Promise<void> {
    const web1 = redisLeaseStore(redis.client, { prefix: PREFIX, token: 'web-1:101:aaaaaaaaaaaa', ttlMs: LEASE_MS });
    const web2 = redisLeaseStore(redis.client, { prefix: PREFIX, token: 'web-2:202:bbbbbbbbbbbb', ttlMs: LEASE_MS });
    // A holder that last renewed 25 s ago: its lease has 5 s left.
    const stuck = redisLeaseStore(redis.client, { prefix: PREFIX, token: 'web-3:303:cccccccccccc', ttlMs: 5_000 });
    expect([...(await web1.acquire(['alice', 'bob'])).values()]).toEqual([1, 1]);
    // bob changed hands once before: web-2 took it, web-1 after it.
    await redis.client.set(`${PREFIX}:bob:~epoch`, '6');
    await web1.release(['bob']);
    expect([...(await web2.acquire(['bob', 'zed'])).values()]).toEqual([7, 1]);
    expect([...(await stuck.acquire(['carol'])).values()]).toEqual([1]);
    // dave's lease was held once and given back: epoch 3, no holder.
    await redis.client.set(`${PREFIX}:dave:~epoch`, '3');
  }

  it('--json: per bridge the holder, time left and epoch; per process its bridges; the bridges nobody holds', async () => {
    await leases();
    const run = await cli(['fleet', 'status', '--json', '--config', configFile({ url: redis.url, prefix: PREFIX })]);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as StatusJson;
    expect(status.redis).toEqual({ url: redis.url, prefix: PREFIX, password: null });
    expect(status.leaseMs).toBe(LEASE_MS);
    const row = (id: string) => status.bridges.find((b) => b.bridge === id)!;
    expect(status.bridges.map((b) => b.bridge)).toEqual(['alice', 'bob', 'carol', 'dave', 'zed']);
    expect(row('alice')).toMatchObject({ configured: true, holder: { token: 'web-1:101:aaaaaaaaaaaa', host: 'web-1', pid: 101 }, epoch: 1, late: false });
    expect(row('alice').remainingMs).toBeGreaterThan(LEASE_MS - 5_000);
    expect(row('alice').remainingMs).toBeLessThanOrEqual(LEASE_MS);
    expect(row('alice').renewedAgoMs).toBe(LEASE_MS - row('alice').remainingMs!);
    expect(row('bob')).toMatchObject({ holder: { token: 'web-2:202:bbbbbbbbbbbb', host: 'web-2', pid: 202 }, epoch: 7, late: false });
    expect(row('carol')).toMatchObject({ holder: { host: 'web-3', pid: 303 }, epoch: 1, late: true });
    expect(row('carol').remainingMs).toBeLessThanOrEqual(5_000);
    expect(row('dave')).toEqual({ bridge: 'dave', configured: true, holder: null, epoch: 3, remainingMs: null, heldForMs: null, renewedAgoMs: null, late: false });
    // Taken moments ago, by Redis's clock.
    for (const id of ['alice', 'bob', 'carol', 'zed']) expect(row(id).heldForMs).toBeGreaterThanOrEqual(0);
    for (const id of ['alice', 'bob', 'carol', 'zed']) expect(row(id).heldForMs).toBeLessThan(5_000);
    expect(row('zed')).toMatchObject({ configured: false, holder: { host: 'web-2' }, epoch: 1 });
    expect(status.holders.map((h) => [h.holder.token, h.bridges])).toEqual([
      ['web-2:202:bbbbbbbbbbbb', ['bob', 'zed']],
      ['web-1:101:aaaaaaaaaaaa', ['alice']],
      ['web-3:303:cccccccccccc', ['carol']],
    ]);
    expect(status.unheld).toEqual(['dave']);
    expect(status.unconfigured).toEqual(['zed']);
    // It reads only: every lease and epoch is as it was.
    expect(await redis.client.get(`${PREFIX}:alice:~lease`)).toBe('web-1:101:aaaaaaaaaaaa');
    expect(await redis.client.get(`${PREFIX}:dave:~lease`)).toBeNull();
    expect(await redis.client.get(`${PREFIX}:bob:~epoch`)).toBe('7');
  });

  it('held for: since the holder took this epoch, by Redis\'s clock; nothing for a take of another epoch (or one not recorded)', async () => {
    const web1 = redisLeaseStore(redis.client, { prefix: PREFIX, token: 'web-1:101:aaaaaaaaaaaa', ttlMs: LEASE_MS });
    expect([...(await web1.acquire(['alice', 'bob', 'carol'])).values()]).toEqual([1, 1, 1]);
    const [seconds, micros] = await redis.client.time();
    // alice was taken 2 h 5 min ago (renewed since); bob's record is of an older epoch; carol's was never written.
    await redis.client.set(`${PREFIX}:alice:~since`, `1 ${Number(seconds) - 7_500} ${micros}`);
    await redis.client.set(`${PREFIX}:bob:~since`, `0 ${Number(seconds) - 60} ${micros}`);
    await redis.client.del(`${PREFIX}:carol:~since`);
    const run = await cli(['fleet', 'status', '--json', '--config', configFile({ url: redis.url, prefix: PREFIX }, ['alice', 'bob', 'carol'])]);
    expect(run.code, run.stderr).toBe(0);
    const rows = (JSON.parse(run.stdout) as StatusJson).bridges;
    expect(rows[0]!.heldForMs).toBeGreaterThanOrEqual(7_500_000);
    expect(rows[0]!.heldForMs).toBeLessThan(7_505_000);
    expect(rows.slice(1).map((r) => r.heldForMs)).toEqual([null, null]);
    const human = await cli(['fleet', 'status', '--config', configFile({ url: redis.url, prefix: PREFIX }, ['alice', 'bob', 'carol'])]);
    expect(human.stdout.split('\n').find((l) => l.startsWith('alice'))).toMatch(/^alice +web-1:101:aaaaaaaaaaaa +1 +2 h 05 min +\d+\.\d s +\d\d\.\d s$/);
    // Taken again (a new epoch): the clock starts again.
    await web1.release(['alice']);
    expect([...(await web1.acquire(['alice'])).values()]).toEqual([2]);
    const again = JSON.parse((await cli(['fleet', 'status', '--json', '--config', configFile({ url: redis.url, prefix: PREFIX }, ['alice'])])).stdout) as StatusJson;
    expect(again.bridges[0]!.heldForMs).toBeLessThan(5_000);
  });

  it('on a terminal: a table, a line per process, and the bridges nobody polls called out', async () => {
    await leases();
    const run = await cli(['fleet', 'status', '--config', configFile({ url: redis.url, prefix: PREFIX })]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Redis ${redis.url} \\(prefix ${PREFIX}\\), lease time 30\\.0 s, read \\d{4}-\\d\\d-\\d\\dT`));
    expect(lines[2]).toMatch(/^bridge +holder \(host:pid:id\) +epoch +held for +renewed ago +time left +note$/);
    expect(lines.find((l) => l.startsWith('alice'))).toMatch(/^alice +web-1:101:aaaaaaaaaaaa +1 +\d s +\d+\.\d s +\d\d\.\d s$/);
    expect(lines.find((l) => l.startsWith('carol'))).toMatch(/renewal late: holder stuck, cut off or dead$/);
    expect(lines.find((l) => l.startsWith('dave'))).toMatch(/^dave +- +3 +NO HOLDER: polled by no process$/);
    expect(lines.find((l) => l.startsWith('zed'))).toMatch(/not in this config$/);
    expect(run.stdout).toContain('3 process(es) hold 3 of 4 configured bridge(s) (and 1 not in this config):');
    expect(run.stdout).toContain('  web-2 pid 202 (web-2:202:bbbbbbbbbbbb): 2 — bob, zed');
    expect(run.stdout).toContain('1 bridge(s) with no holder, polled by no process now: dave');
    // Nothing is written to a terminal that does not fit one: no line over 120 characters here.
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('vendor requests per host × address and the bridges that waited for their budget, all processes together, never a username', async () => {
    const log = createLogger({ level: 'silent', format: 'json' });
    // Two processes drawing on the same budgets: 2 requests a second to the host, 1 a second per bridge.
    const [one, two] = await Promise.all([createSharedBudget(redis.client, { prefix: PREFIX, log }), createSharedBudget(redis.client, { prefix: PREFIX, log })]);
    const host = { points: 2, seconds: 1 };
    const signal = new AbortController().signal;
    await Promise.all([one.take('host', host, 'api.example@127.0.0.2', signal), two.take('host', host, 'api.example@127.0.0.2', signal), two.take('host', host, 'api.example@127.0.0.2', signal)]);
    await one.take('host', host, 'api.example@127.0.0.3', signal);
    await one.take('bridge', { points: 1, seconds: 1 }, 'alice', signal);
    await two.take('bridge', { points: 1, seconds: 1 }, 'alice', signal);
    await one.take('login', { points: 5, seconds: 60 }, 'linkup-0123456789abcdef0123', signal);
    // The counts are written after each request, unawaited: wait until all 7 let through are counted (in one minute or two).
    const usedCounted = async () => {
      const keys = (await redis.client.keys(`${PREFIX}:~usage:*`)).filter((k) => k.includes(':used:'));
      return keys.length === 0 ? 0 : (await redis.client.mget(...keys)).reduce((sum, v) => sum + Number(v), 0);
    };
    await vi.waitFor(async () => expect(await usedCounted()).toBe(7));

    const run = await cli(['fleet', 'status', '--json', '--config', configFile({ url: redis.url, prefix: PREFIX })]);
    expect(run.code, run.stderr).toBe(0);
    const { budget } = JSON.parse(run.stdout) as { budget: { hosts: { key: string; lastMinute: { used: number }; thisMinute: { used: number; waited: number }; allowedPerMinute?: number }[]; waiting: { kind: string; key: string }[]; counted: { bridges: number; logins: number } } };
    // The counts may straddle a minute: what matters is both minutes together.
    const total = (r: { lastMinute: { used: number }; thisMinute: { used: number } }) => r.lastMinute.used + r.thisMinute.used;
    expect(budget.hosts.map((h) => [h.key, total(h)])).toEqual([
      ['api.example@127.0.0.2', 3],
      ['api.example@127.0.0.3', 1],
    ]);
    expect(budget.hosts[0]!.allowedPerMinute).toBeGreaterThan(0);
    expect(budget.waiting.map((w) => [w.kind, w.key])).toEqual([['bridge', 'alice']]);
    expect(budget.counted).toEqual({ bridges: 1, logins: 1 });

    const human = await cli(['fleet', 'status', '--config', configFile({ url: redis.url, prefix: PREFIX })]);
    expect(human.stdout).toMatch(/Vendor requests, all processes \(last minute from \d\d:\d\d UTC, then this minute so far/);
    expect(human.stdout).toMatch(/^ {2}api\.example@127\.0\.0\.2 +\d/m);
    expect(human.stdout).toMatch(/^ {2}bridge alice +\d/m);
    for (const line of human.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
  });

  it('keys someone else wrote: an epoch that is no number reads 0; a lease key of another type is FLEET011, not a crash', async () => {
    await redis.client.set(`${PREFIX}:alice:~epoch`, 'not-a-number');
    const odd = await cli(['fleet', 'status', '--json', '--config', configFile({ url: redis.url, prefix: PREFIX }, ['alice'])]);
    expect(odd.code, odd.stderr).toBe(0);
    expect((JSON.parse(odd.stdout) as StatusJson).bridges[0]).toMatchObject({ bridge: 'alice', epoch: 0, holder: null });
    await redis.client.lpush(`${PREFIX}:alice:~lease`, 'x');
    const wrong = await cli(['fleet', 'status', '--config', configFile({ url: redis.url, prefix: PREFIX }, ['alice'])]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/\[FLEET011\] .*WRONGTYPE/);
    expect(wrong.stderr).not.toContain('unexpected error');
  });

  it('an empty fleet: every configured bridge flagged, no process', async () => {
    const run = await cli(['fleet', 'status', '--json', '--config', configFile({ url: redis.url, prefix: PREFIX }, ['alice'])]);
    const status = JSON.parse(run.stdout) as StatusJson;
    expect(status.holders).toEqual([]);
    expect(status.unheld).toEqual(['alice']);
  });

  it('never prints the Redis password: masked in both outputs; a wrong one is FLEET011', async () => {
    const locked = await startRedis();
    try {
      await locked.client.config('SET', 'requirepass', 's3cret-redis-pass');
      const file = configFile({ url: locked.url, prefix: PREFIX, password: 's3cret-redis-pass' });
      const human = await cli(['fleet', 'status', '--config', file]);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout.split('\n')[0]).toContain(`(prefix ${PREFIX}, password ***)`);
      const json = await cli(['fleet', 'status', '--json', '--config', file]);
      expect((JSON.parse(json.stdout) as StatusJson).redis.password).toBe('***');
      const wrong = await cli(['fleet', 'status', '--config', configFile({ url: locked.url, prefix: PREFIX, password: 'not-it' })]);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('[FLEET011]');
      for (const run of [human, json, wrong]) expect(run.stdout + run.stderr).not.toContain('s3cret-redis-pass');
      expect(wrong.stdout + wrong.stderr).not.toContain('not-it');
    } finally {
      await locked.close();
    }
  });
});

if (!HAVE_REDIS) it.skip(NO_REDIS, () => undefined);
