import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { syncIdentifier } from '../../lib/identity.js';
import { startFakeCareLink } from '../fakes/carelink-server.js';
import { freePort, occupiedPort } from '../fakes/brokers.js';
import { fakePatient, startFakeLibreLinkUp } from '../fakes/llu-server.js';
import { perTest } from '../fakes/per-test.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';
import { runCli, startCli, tempDir, type Running } from './cli.js';
import { alive, framed, identifiers, lines } from './fleet-logs.js';

/**
 * Two real `forever` processes with the same config and one private Redis: each bridge runs in
 * exactly one of them, a SIGKILLed owner's bridges move to the other within about the lease ttl,
 * and a Redis that goes away stops every bridge (none started twice) until it is back.
 */

const LEASE_MS = 2_000;
const carelinkFake = perTest(startFakeCareLink);
const BRIDGES = ['alice', 'bob', 'carol'];
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The bridges a process leased (and so started), in order. */
const leased = (run: Running, from = 0): string[] =>
  lines(run)
    .slice(from)
    .filter((l) => l.msg.startsWith('fleet: leased bridge'))
    .map((l) => l.bridge as string);
const stoppedByFleet = (run: Running): string[] => lines(run).filter((l) => l.err?.code === 'FLEET003').map((l) => l.bridge as string);

describe.skipIf(!HAVE_REDIS)('a fleet of two forever processes on one Redis', () => {
  let redis: TestRedis;
  let runs: Running[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.close());
  afterEach(() => {
    for (const r of runs) if (alive(r)) r.child.kill('SIGKILL');
    runs = [];
  });

  function forever(cwd: string): Running {
    const run = startCli(['forever', '--config', 'bridges.yaml'], {
      cwd,
      env: { GLUCO_HUB__STATE__URL: redis.url, GLUCO_HUB__FLEET__LEASE_MS: String(LEASE_MS), GLUCO_HUB__LOG__FORMAT: 'json' },
    });
    runs.push(run);
    return run;
  }

  it('runs each bridge in one process, moves a killed owner\'s bridges within the ttl, and survives Redis going away', async () => {
    const cwd = tempDir();
    const bridges = BRIDGES.map((id, i) => `  - id: ${id}\n    source: { kind: simulator, intervalSeconds: 60, seed: ${i + 1} }\n    filesystem: { dir: out/${id} }\n`);
    writeFileSync(join(cwd, 'bridges.yaml'), `bridges:\n${bridges.join('')}`);

    const a = forever(cwd);
    await a.until(() => framed(a).size === 3, 30_000);
    const b = forever(cwd);
    await b.until((o) => o.stderr.includes('polling only the bridges this process leases'), 15_000);
    // Three lease rounds of the second process: it finds every bridge taken.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    expect(leased(a).sort()).toEqual(BRIDGES);
    expect(leased(b)).toEqual([]);
    for (const id of BRIDGES) expect(await redis.client.get(`gluco-hub:${id}:~lease`)).toMatch(new RegExp(`^${hostname()}:${a.child.pid}:`));

    // The owner dies without a word: no release, its leases run out in Redis.
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await b.until(() => leased(b).length === 3, LEASE_MS * 6);
    const handOver = Date.now() - killedAt;
    // At most the lease time plus a round (1⅓ lease times); the rest is headroom for a loaded CI
    // machine starting three bridges. What may never happen, a bridge run twice, is checked below.
    expect(handOver).toBeLessThan(LEASE_MS * 3);
    expect(leased(b).sort()).toEqual(BRIDGES);
    await b.until(() => framed(b).size === 3, 15_000);
    for (const id of BRIDGES) {
      expect(await redis.client.get(`gluco-hub:${id}:~epoch`)).toBe('2');
      const ids = identifiers(join(cwd, 'out', id));
      expect(ids.length).toBeGreaterThanOrEqual(1_440);
      expect(ids.length).toBe(new Set(ids).size);
    }

    // A second process again, then Redis goes away: every bridge stops within the ttl, none starts anywhere, no one crashes.
    const c = forever(cwd);
    await c.until((o) => o.stderr.includes('polling only the bridges this process leases'), 15_000);
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    const [bBefore, cBefore] = [lines(b).length, lines(c).length];
    await redis.kill();
    await b.until(() => stoppedByFleet(b).length === 3, LEASE_MS * 3);
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2));
    expect(stoppedByFleet(b).sort()).toEqual(BRIDGES);
    expect([...leased(b, bBefore), ...leased(c, cBefore)]).toEqual([]);
    expect(alive(b) && alive(c)).toBe(true);

    // Redis back (empty, as a Redis without persistence restarts): each bridge starts again in exactly one process.
    await redis.start();
    // The reconnect (backoff up to 2 s), the new-Redis wait (80 % of a lease + 1 s), then a round.
    await c.until(() => leased(b, bBefore).length + leased(c, cBefore).length === 3, LEASE_MS * 8);
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    expect([...leased(b, bBefore), ...leased(c, cBefore)].sort()).toEqual(BRIDGES);

    b.child.kill('SIGTERM');
    c.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    expect(await c.exit).toBe(0);
    // Stopped cleanly, they gave their leases back.
    for (const id of BRIDGES) expect(await redis.client.get(`gluco-hub:${id}:~lease`)).toBeNull();
    for (const id of BRIDGES) {
      const ids = identifiers(join(cwd, 'out', id));
      expect(ids.length).toBe(new Set(ids).size);
    }
  }, 120_000);

  it('a process that takes a bridge over serves its last owner\'s day at once: the recent readings are in Redis, fenced like the rest', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'bridges.yaml'), 'bridges:\n  - id: warm\n    source: { kind: simulator, intervalSeconds: 60, seed: 5 }\n    filesystem: { dir: out/warm }\n');
    const served = async (port: number): Promise<number> => ((await (await fetch(`http://127.0.0.1:${port}/glucose?count=10000`)).json()) as unknown[]).length;
    const withHttp = (port: number): Running => {
      const run = startCli(['forever', '--config', 'bridges.yaml', '--http', `127.0.0.1:${port}`], {
        cwd,
        env: { GLUCO_HUB__STATE__URL: redis.url, GLUCO_HUB__FLEET__LEASE_MS: String(LEASE_MS), GLUCO_HUB__LOG__FORMAT: 'json', GLUCO_HUB__HTTP__ENABLED: 'true' },
      });
      runs.push(run);
      return run;
    };
    const first = await freePort();
    const a = withHttp(first);
    await a.until(() => framed(a).has('warm'), 30_000);
    // The simulator's day back-filled: a reading a minute.
    const day = await served(first);
    expect(day).toBeGreaterThan(1_000);
    a.child.kill('SIGTERM');
    await a.exit;

    const second = await freePort();
    const b = withHttp(second);
    await b.until(() => framed(b).has('warm'), 30_000);
    // Its own first frame fetched only what is new since: the rest is the day its last owner saved.
    expect(identifiers(join(cwd, 'out', 'warm')).filter((id) => id.startsWith('entries/')).length).toBeGreaterThanOrEqual(day);
    expect(await served(second)).toBeGreaterThanOrEqual(day);
    expect(lines(b).filter((l) => l.msg.startsWith('entries: ')).length).toBe(1);
  });

  it('a follower account in a fleet is one lease: one process runs it and its people; killed, the other takes them all over with the same login', async () => {
    const llu = await startFakeLibreLinkUp({ patients: [fakePatient({ firstName: 'Anna', lastName: 'Smith', seed: 2 }), fakePatient({ firstName: 'Ben', lastName: 'Smith', seed: 3 })] });
    try {
      const cwd = tempDir();
      writeFileSync(
        join(cwd, 'bridges.yaml'),
        `bridges:\n  - id: kids\n    source: { kind: linkup, username: ${llu.scenario.email}, password: ${llu.scenario.password}, server: "${llu.url}", patients: all }\n    filesystem: { dir: out/kids }\n`,
      );
      const people = (run: Running) => [...framed(run)].filter((b) => b.startsWith('kids-')).sort();
      const a = forever(cwd);
      await a.until(() => people(a).length === 2, 30_000);
      const b = forever(cwd);
      await b.until((o) => o.stderr.includes('polling only the bridges this process leases'), 15_000);
      await pause(LEASE_MS * 2);
      expect(people(b)).toEqual([]);
      expect(leased(b)).toEqual([]);
      const logins = () => llu.requests.filter((r) => r.path === '/llu/auth/login').length;
      expect(logins()).toBe(1);

      a.child.kill('SIGKILL');
      await b.until(() => people(b).length === 2, 30_000);
      expect(people(b)).toEqual(people(a));
      expect(leased(b)).toEqual(['kids']);
      // The account's session was in Redis: the new owner did not log in again.
      expect(logins()).toBe(1);
      // The people's state (watermarks, queues) is written under the account's lease, and accepted.
      for (const run of [a, b]) expect(lines(run).filter((l) => l.err?.code === 'FLEET001' || l.err?.code === 'FLEET007')).toEqual([]);
      for (const person of people(b)) {
        const ids = identifiers(join(cwd, 'out', 'kids', person.slice('kids-'.length)));
        expect(ids.length).toBeGreaterThan(0);
        expect(new Set(ids).size).toBe(ids.length);
      }
    } finally {
      await llu.close();
    }
  });

  it('a CareLink login made with `login carelink` goes to Redis, where the process that leases the bridge finds it; capture leases or reads only', async () => {
    const carelink = await carelinkFake({ role: 'PATIENT_OUS', username: 'pt_self' });
    const cwd = tempDir();
    const env = {
      CONNECT_SOURCE: 'minimedcarelink',
      CONNECT_CARELINK_SERVER: carelink.url,
      CONNECT_COUNTRY_CODE: 'in',
      GLUCO_HUB__STATE_DIR: join(cwd, 'state'),
      GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'data'),
      GLUCO_HUB__STATE__URL: redis.url,
      GLUCO_HUB__STATE__PREFIX: 'cl-fleet',
      GLUCO_HUB__FLEET__LEASE_MS: String(LEASE_MS),
      GLUCO_HUB__LOG__FORMAT: 'json',
    };
    const file = join(cwd, 'logindata.json');
    writeFileSync(file, JSON.stringify({ access_token: 'eyJhbGciOiJSUzI1NiJ9.e30.sig', refresh_token: carelink.mintRefreshToken(), client_id: 'fakeClientId123', token_url: 'https://carelink-login.minimed.eu/oauth/token', audience: 'https://example.invalid/api', scope: 'openid profile offline_access' }));
    const login = await runCli(['login', 'carelink', '--import', file], { cwd, env, timeoutMs: 30_000 });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain('Saved the CareLink login in Redis');
    expect(login.stdout).toContain('Logged in to CareLink as patient pt_self');
    const saved = JSON.parse((await redis.client.get('cl-fleet:minimedcarelink:carelink-login')) ?? 'null') as { refreshToken?: string } | null;
    expect(saved).not.toBeNull();
    expect(existsSync(join(cwd, 'state', 'minimedcarelink', 'carelink-login.json'))).toBe(false);

    const refreshesBefore = carelink.counters.refreshes;
    const run = startCli(['forever'], { cwd, env });
    runs.push(run);
    await run.until(() => lines(run).some((l) => l.bridge === 'minimedcarelink' && /^entries: \d+ new/.test(l.msg)), 30_000);
    expect(leased(run)).toEqual(['minimedcarelink']);
    // The access token the login left was fresh: the bridge used it as it was.
    expect(carelink.counters.refreshes).toBe(refreshesBefore);
    const epoch = await redis.client.get('cl-fleet:minimedcarelink:~epoch');

    // capture beside the running bridge: reads its login from Redis, takes no lease, saves nothing.
    const beside = await runCli(['capture', '--json'], { cwd, env, timeoutMs: 30_000 });
    expect(beside.code, beside.stderr).toBe(0);
    expect(beside.stderr).toContain('another gluco-hub process leases bridge');
    expect(await redis.client.get('cl-fleet:minimedcarelink:~epoch')).toBe(epoch);
    // No state in the folder (login made it, empty): the session lives in Redis alone.
    expect(readdirSync(join(cwd, 'state', 'minimedcarelink'))).toEqual([]);

    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(await redis.client.get('cl-fleet:minimedcarelink:~lease')).toBeNull();
    // Alone, capture takes the lease for its run (a new epoch) and gives it back.
    const alone = await runCli(['capture', '--json'], { cwd, env, timeoutMs: 30_000 });
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stderr).not.toContain('another gluco-hub process');
    expect(await redis.client.get('cl-fleet:minimedcarelink:~epoch')).toBe(String(Number(epoch) + 1));
    expect(await redis.client.get('cl-fleet:minimedcarelink:~lease')).toBeNull();
  }, 90_000);

  it('dlq reads a fleet\'s queues in Redis, and changes them only while no process leases the bridge (FLEET004)', async () => {
    const cwd = tempDir();
    const env = { CONNECT_NIGHTSCOUT_ENDPOINT: 'http://127.0.0.1:9', CONNECT_API_SECRET: 'not-used-here', GLUCO_HUB__STATE__URL: redis.url, GLUCO_HUB__STATE__PREFIX: 'dlq-fleet' };
    const date = Date.UTC(2026, 11, 5, 10);
    const document = { type: 'sgv', sgv: 120, date, dateString: new Date(date).toISOString(), device: 'gluco-hub-simulator', app: 'gluco-hub', utcOffset: 0, identifier: syncIdentifier({ device: 'gluco-hub-simulator', date }) };
    const rejected = { collection: 'entries', document, rejectedAt: '2026-12-05T10:05:00.000Z', code: 'NS012', reason: '[NS012] refused (HTTP 400)', attempts: 0 };
    await redis.client.set('dlq-fleet:simulator:output-nightscout-rejected:lines', `${JSON.stringify(rejected)}\n`);

    const list = await runCli(['dlq', 'list'], { cwd, env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('simulator/nightscout: 0 waiting in the queue, 1 set aside');

    await redis.client.set('dlq-fleet:simulator:~lease', 'another-process', 'PX', 60_000);
    const refused = await runCli(['dlq', 'retry', '--all'], { cwd, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/\[FLEET004\] bridge "simulator" runs in another gluco-hub process/);
    expect(await redis.client.get('dlq-fleet:simulator:output-nightscout-rejected:lines')).toContain(document.identifier);

    await redis.client.del('dlq-fleet:simulator:~lease');
    const retried = await runCli(['dlq', 'retry', '--all'], { cwd, env });
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('1 document(s) will be sent again');
    expect(await redis.client.get('dlq-fleet:simulator:output-nightscout-queue:lines')).toContain(document.identifier);
    expect(await redis.client.get('dlq-fleet:simulator:output-nightscout-rejected:lines')).toBe('');
    // It held the lease for the change (a new epoch) and gave it back.
    expect(await redis.client.get('dlq-fleet:simulator:~epoch')).toBe('1');
    expect(await redis.client.get('dlq-fleet:simulator:~lease')).toBeNull();
  }, 60_000);

  it('a start-up error in a fleet process (the HTTP port in use) exits 2 with its code: the Redis connections do not keep it running', async () => {
    const blocker = await occupiedPort();
    const { port } = blocker;
    const cwd = tempDir();
    try {
      const run = await runCli(['forever', '--http', `127.0.0.1:${port}`, '--data-dir', join(cwd, 'data')], {
        cwd,
        env: { GLUCO_HUB__HTTP__ENABLED: 'true', GLUCO_HUB__STATE__URL: redis.url, GLUCO_HUB__STATE__PREFIX: 'port-in-use', GLUCO_HUB__FLEET__LEASE_MS: String(LEASE_MS) },
        timeoutMs: 20_000,
      });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('[HTTP001]');
      expect(await redis.client.keys('port-in-use:*:~lease')).toEqual([]);
    } finally {
      blocker.close();
    }
  }, 30_000);

  it("capture and dlq reach the people a follower account follows: capture under the account's lease, dlq finds each person's queues in Redis and changes them only under that lease", async () => {
    const cwd = tempDir();
    const alice = fakePatient({ firstName: 'Alice', lastName: 'Doe', seed: 2 });
    const bob = fakePatient({ firstName: 'Bob', lastName: 'Builder', seed: 3 });
    const llu = await startFakeLibreLinkUp({ patients: [alice, bob] });
    try {
      const prefix = 'follow-fleet';
      const env = {
        CONNECT_SOURCE: 'linkup',
        CONNECT_LINK_UP_USERNAME: llu.scenario.email,
        CONNECT_LINK_UP_PASSWORD: llu.scenario.password,
        CONNECT_LINK_UP_SERVER: llu.url,
        CONNECT_LINK_UP_PATIENT_ID: 'all',
        GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'out'),
        GLUCO_HUB__STATE__URL: redis.url,
        GLUCO_HUB__STATE__PREFIX: prefix,
      };
      const slug = (id: string): string => id.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8);
      const [aliceId, bobId] = [`linkup-${slug(alice.patientId)}`, `linkup-${slug(bob.patientId)}`];

      const captured = await runCli(['capture', '--json'], { cwd, env, timeoutMs: 30_000 });
      expect(captured.code, captured.stderr).toBe(0);
      expect((JSON.parse(captured.stdout) as { bridge: string }[]).map((c) => c.bridge)).toEqual([aliceId, bobId]);
      expect(llu.counters.logins).toBe(1);
      // The login is the account's, in Redis, where the process that leases the account finds it; no state folder.
      expect(await redis.client.exists(`${prefix}:linkup:librelinkup-session`)).toBe(1);
      expect(existsSync(join(cwd, 'state'))).toBe(false);
      // It held the account's lease for its run and gave it back.
      expect(await redis.client.get(`${prefix}:linkup:~epoch`)).toBe('1');
      expect(await redis.client.get(`${prefix}:linkup:~lease`)).toBeNull();

      const date = Date.UTC(2026, 11, 5, 10);
      const document = { type: 'sgv', sgv: 120, date, dateString: new Date(date).toISOString(), device: 'librelinkup', app: 'gluco-hub', utcOffset: 0, identifier: syncIdentifier({ device: 'librelinkup', date }) };
      const rejected = { collection: 'entries', document, rejectedAt: '2026-12-05T10:05:00.000Z', code: 'FS003', reason: '[FS003] refused', attempts: 0 };
      await redis.client.set(`${prefix}:${bobId}:output-filesystem-rejected:lines`, `${JSON.stringify(rejected)}\n`);

      const list = await runCli(['dlq', 'list'], { cwd, env });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain(`${bobId}/filesystem: 0 waiting in the queue, 1 set aside`);
      const json = await runCli(['dlq', 'list', '--json', '--bridge', bobId], { cwd, env });
      expect(json.code, json.stderr).toBe(0);
      expect((JSON.parse(json.stdout) as { bridge: string; outputs: { output: string; rejected: unknown[] }[] }[]).map((r) => [r.bridge, r.outputs.map((o) => [o.output, o.rejected.length])])).toEqual([[bobId, [['filesystem', 1]]]]);

      await redis.client.set(`${prefix}:linkup:~lease`, 'another-process', 'PX', 60_000);
      const refused = await runCli(['dlq', 'retry', '--all', '--bridge', bobId], { cwd, env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`[FLEET004] bridge "${bobId}" runs in another gluco-hub process (it holds its follower account "linkup"'s lease)`);
      expect(await redis.client.get(`${prefix}:${bobId}:output-filesystem-queue:lines`)).toBeNull();

      await redis.client.del(`${prefix}:linkup:~lease`);
      const retried = await runCli(['dlq', 'retry', '--all', '--bridge', bobId], { cwd, env });
      expect(retried.code, retried.stderr).toBe(0);
      expect(retried.stdout).toContain('1 document(s) will be sent again');
      expect(await redis.client.get(`${prefix}:${bobId}:output-filesystem-queue:lines`)).toContain(document.identifier);
      // Written under the account's lease (a new epoch, the person's state fenced by it), then given back.
      expect(await redis.client.get(`${prefix}:linkup:~epoch`)).toBe('2');
      expect(await redis.client.get(`${prefix}:linkup:~lease`)).toBeNull();
    } finally {
      await llu.close();
    }
  }, 60_000);
});

describe.skipIf(HAVE_REDIS)(NO_REDIS, () => it.skip('needs redis-server', () => undefined));
