import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { preferredShard } from '../../lib/fleet/shards.js';
import { startFakeLibreLinkUpAccounts, type AccountRequest, type FakeLibreLinkUpAccounts } from '../fakes/llu-accounts.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';
import { startCli, tempDir, type Running } from './cli.js';
import { alive, documents, lines } from './fleet-logs.js';

/**
 * The fleet, end to end with the built CLI: 200 simulator bridges and 20 LibreLink Up
 * bridges (one fake cloud per account, so logins are counted per account) over `forever --shard
 * i/N` processes and one private Redis. Each shard leaves from its own egress address
 * (127.0.0.<i + 2>), so the fake's request log says which process asked for which account.
 *
 * "Polled twice" is read from that log: per account, the requests in time order form runs of one
 * address; every run boundary is a hand-over, and there must be exactly as many as the leases
 * moved (an account asked for by two processes in the same window would alternate addresses).
 */

const LEASE_MS = 2_000;
const SIMULATORS = Array.from({ length: 200 }, (_, i) => `sim${String(i).padStart(3, '0')}`);
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `llu${String(i).padStart(2, '0')}`);
const ALL = [...SIMULATORS, ...ACCOUNTS];
const address = (shard: number): string => `127.0.0.${shard + 2}`;

const leased = (run: Running, from = 0): string[] =>
  lines(run)
    .slice(from)
    .filter((l) => l.msg.startsWith('fleet: leased bridge'))
    .map((l) => l.bridge as string);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Requests for an account from a process that did not hold its lease then: each request must come
 * from the address whose process last won the bridge's lease before it (its "leased" log line).
 * The next owner can only win it after the last one's ran out or was given back after its drain,
 * so a request from the old owner after that is exactly a second poller in the same window.
 */
function strayRequests(requests: readonly AccountRequest[], wins: readonly { at: number; from: string }[]): AccountRequest[] {
  const sorted = [...wins].sort((a, b) => a.at - b.at);
  return requests.filter((r) => sorted.filter((w) => w.at <= r.at).at(-1)?.from !== r.from);
}

function llu(vendor: FakeLibreLinkUpAccounts): string[] {
  return ACCOUNTS.map(
    (id, i) =>
      `  - id: ${id}\n    source: { kind: linkup, username: ${vendor.accounts[i]!.scenario.email}, password: ${vendor.accounts[i]!.scenario.password}, server: "${vendor.url}", intervalSeconds: 10, minIntervalSeconds: 10 }\n    filesystem: { dir: out/${id} }\n`,
  );
}

function config(vendor: FakeLibreLinkUpAccounts): string {
  const sims = SIMULATORS.map((id, i) => `  - id: ${id}\n    source: { kind: simulator, intervalSeconds: 300, seed: ${i + 1} }\n    filesystem: { dir: out/${id} }\n`);
  return `bridges:\n${sims.join('')}${llu(vendor).join('')}`;
}

/** A private Redis and one fake cloud per account for a describe block; the processes a test started are killed after it. */
function fleetOfFour(): { redis: TestRedis; vendor: FakeLibreLinkUpAccounts; runs: Running[] } {
  const f = { runs: [] as Running[] } as { redis: TestRedis; vendor: FakeLibreLinkUpAccounts; runs: Running[] };
  beforeAll(async () => {
    f.redis = await startRedis();
    f.vendor = await startFakeLibreLinkUpAccounts(ACCOUNTS.length);
  });
  afterAll(async () => {
    await f.vendor?.close();
    await f.redis?.close();
  });
  afterEach(() => {
    for (const r of f.runs.splice(0)) if (alive(r)) r.child.kill('SIGKILL');
  });
  return f;
}

describe.skipIf(!HAVE_REDIS || process.platform !== 'linux')('a fleet of four processes, 220 bridges', () => {
  const f = fleetOfFour();

  /** Every process started, with its shard's address, killed ones too: their lease wins count. */
  let started: { from: string; run: Running }[] = [];
  function shard(cwd: string, index: number, count: number): Running {
    const run = startCli(['forever', '--config', 'bridges.yaml', '--shard', `${index}/${count}`], {
      cwd,
      env: {
        GLUCO_HUB__STATE__URL: f.redis.url,
        GLUCO_HUB__FLEET__LEASE_MS: String(LEASE_MS),
        GLUCO_HUB__FLEET__LOCAL_ADDRESS: address(index),
        GLUCO_HUB__LOG__FORMAT: 'json',
      },
    });
    f.runs.push(run);
    started.push({ from: address(index), run });
    return run;
  }
  /** Which running process holds each bridge's lease, by its shard's address; null when none. */
  async function owners(procs: ReadonlyMap<string, Running>): Promise<Map<string, string | null>> {
    const tokens = await f.redis.client.mget(ALL.map((b) => `gluco-hub:${b}:~lease`));
    const byPid = new Map([...procs].map(([addr, p]) => [`${hostname()}:${p.child.pid}`, addr]));
    return new Map(ALL.map((b, i) => [b, byPid.get((tokens[i] ?? '').split(':').slice(0, 2).join(':')) ?? null]));
  }
  const logins = (): number[] => f.vendor.accounts.map((f) => f.counters.loginSuccesses);
  /** Every account polled at least once more from `since` on. */
  const allPolledSince = (since: number): boolean => ACCOUNTS.every((_, i) => f.vendor.requests.some((r) => r.account === i && r.at > since && r.path.endsWith('/graph') && r.status === 200));

  it('3 → 4 shards moves only the new shard\'s bridges; a SIGKILLed shard\'s bridges move and come back, and a stopped Redis stops polling without doubling it', async () => {
    const cwd = tempDir();
    started = [];
    writeFileSync(join(cwd, 'bridges.yaml'), config(f.vendor));
    const waitAllHeld = async (procs: ReadonlyMap<string, Running>, timeoutMs: number): Promise<Map<string, string | null>> => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const o = await owners(procs);
        if ([...o.values()].every((v) => v !== null)) return o;
        if (Date.now() > until) throw new Error(`bridges not held in time: ${[...o].filter(([, v]) => v === null).map(([b]) => b).join(', ')}`);
        await pause(250);
      }
    };

    // Three shards: each bridge held by the process of its hash, every account logged in once.
    const three = new Map([0, 1, 2].map((i) => [address(i), shard(cwd, i, 3)]));
    const before = await waitAllHeld(three, 60_000);
    for (const b of ALL) expect(before.get(b), b).toBe(address(preferredShard(b, 3)));
    const sinceThree = Date.now();
    for (;;) {
      if (allPolledSince(0) && logins().every((n) => n >= 1)) break;
      if (Date.now() - sinceThree > 30_000) throw new Error(`accounts not polled: logins ${logins().join(',')}`);
      await pause(250);
    }
    // From here on no account logs in again: every move finds the session in Redis.
    const firstLogins = logins();

    // Restarted as four: SIGTERM drains and gives every lease back, then 0/4 … 3/4 take theirs.
    for (const p of three.values()) p.child.kill('SIGTERM');
    for (const p of three.values()) expect(await p.exit).toBe(0);
    const four = new Map([0, 1, 2, 3].map((i) => [address(i), shard(cwd, i, 4)]));
    const after = await waitAllHeld(four, 60_000);
    const moved = ALL.filter((b) => after.get(b) !== before.get(b));
    // Jump hash: only bridges whose new bucket is the new shard move, about 1/4 of them.
    expect(moved).toEqual(ALL.filter((b) => preferredShard(b, 4) === 3));
    expect(moved.length).toBeLessThanOrEqual(Math.ceil(ALL.length / 4) + 15);
    for (const b of ALL) expect(after.get(b), b).toBe(address(preferredShard(b, 4)));
    const fourAt = Date.now();
    for (;;) {
      if (allPolledSince(fourAt)) break;
      if (Date.now() - fourAt > 30_000) throw new Error('accounts not polled after 3 → 4');
      await pause(250);
    }
    // Each moved account kept its session (in Redis): no second login.
    expect(logins()).toEqual(firstLogins);

    // SIGKILL shard 1: its bridges go to shard 2 (next in order) within 30 s, and nobody else's move.
    const victim = 1;
    const own1 = ALL.filter((b) => preferredShard(b, 4) === victim);
    const marks = new Map([...four].map(([a, p]) => [a, lines(p).length]));
    four.get(address(victim))!.child.kill('SIGKILL');
    const killedAt = Date.now();
    const survivors = new Map([...four].filter(([a]) => a !== address(victim)));
    const taken = await waitAllHeld(survivors, 30_000);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    for (const b of ALL) expect(taken.get(b), b).toBe(own1.includes(b) ? address(victim + 1) : after.get(b));
    for (const [a, p] of survivors) expect(leased(p, marks.get(a)).sort()).toEqual(a === address(victim + 1) ? [...own1].sort() : []);
    const takenAt = Date.now();
    for (;;) {
      if (allPolledSince(takenAt)) break;
      if (Date.now() - takenAt > 30_000) throw new Error('accounts not polled after the kill');
      await pause(250);
    }

    // Shard 1 restarted: shard 2 drains its bridges and hands them back; no login anywhere.
    const back = shard(cwd, victim, 4);
    const again = new Map([...survivors, [address(victim), back]]);
    for (;;) {
      const o = await owners(again);
      if (ALL.every((b) => o.get(b) === address(preferredShard(b, 4)))) break;
      if (Date.now() - takenAt > 45_000) throw new Error('bridges did not move back to the restarted shard');
      await pause(250);
    }
    const backAt = Date.now();
    for (;;) {
      if (allPolledSince(backAt)) break;
      if (Date.now() - backAt > 30_000) throw new Error('accounts not polled after the move back');
      await pause(250);
    }
    expect(logins()).toEqual(firstLogins);

    // Redis stopped for 20 s (SIGSTOP: it holds its connections and answers nothing, as a hung or
    // paused Redis does; a killed one refuses at once, which fleet.test.ts covers). Nobody crashes,
    // no account gets a second poller; continued, every bridge is held and polled again.
    const pid = Number(/process_id:(\d+)/.exec(await f.redis.client.info('server'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGSTOP');
    await pause(20_000);
    process.kill(pid, 'SIGCONT');
    const resumedAt = Date.now();
    for (const p of again.values()) expect(alive(p)).toBe(true);
    const resumed = await waitAllHeld(again, 30_000);
    for (const b of ALL) expect(resumed.get(b), b).toBe(address(preferredShard(b, 4)));
    for (;;) {
      if (allPolledSince(resumedAt)) break;
      if (Date.now() - resumedAt > 30_000) throw new Error('accounts not polled after Redis came back');
      await pause(250);
    }

    for (const p of again.values()) p.child.kill('SIGTERM');
    for (const p of again.values()) expect(await p.exit).toBe(0);

    // No account was ever asked for by a process other than its lease's holder of that moment;
    // shard 1's accounts really were polled by three processes in turn (1, 2, 1 again).
    expect(f.vendor.requests.filter((r) => r.account === -1)).toEqual([]);
    for (const [i, b] of ACCOUNTS.entries()) {
      const wins = started.flatMap(({ from, run }) => lines(run).filter((l) => l.msg.startsWith('fleet: leased bridge') && l.bridge === b).map((l) => ({ at: l.time, from })));
      const asked = f.vendor.requests.filter((r) => r.account === i);
      expect(strayRequests(asked, wins), b).toEqual([]);
      if (preferredShard(b, 4) === victim) {
        const after = asked.filter((r) => r.at > killedAt).map((r) => r.from);
        expect(after.filter((a, k) => k === 0 || a !== after[k - 1]).slice(0, 2), b).toEqual([address(victim + 1), address(victim)]);
      }
    }
    expect(logins()).toEqual(firstLogins);
    // Outputs: nothing written twice, and every reading the vendor served an account is in its bridge's files.
    for (const b of ALL) {
      const docs = documents(join(cwd, 'out', b));
      expect(docs.length, b).toBeGreaterThan(0);
      expect(new Set(docs.map((d) => d.id)).size, b).toBe(docs.length);
    }
    for (const [i, b] of ACCOUNTS.entries()) {
      const stored = new Set(documents(join(cwd, 'out', b)).filter((d) => d.collection === 'entries').map((d) => d.date));
      const served = f.vendor.accounts[i]!.servedDates(['graph', 'current', 'connections']);
      expect([...served].filter((at) => !stored.has(at)).map((at) => new Date(at).toISOString()), b).toEqual([]);
    }
  }, 240_000);
});

describe.skipIf(!HAVE_REDIS || process.platform !== 'linux')('a fleet-wide vendor budget across four processes', () => {
  const f = fleetOfFour();

  it('holds R requests per second to one vendor host for all four processes together', async () => {
    const R = 4;
    const cwd = tempDir();
    writeFileSync(join(cwd, 'bridges.yaml'), `vendorBudget: { requestsPerSecond: ${R} }\nbridges:\n${llu(f.vendor).join('')}`);
    // One egress address for all four, as behind one NAT address: the vendor sees one source.
    const procs = [0, 1, 2, 3].map((i) => {
      const run = startCli(['forever', '--config', 'bridges.yaml', '--shard', `${i}/4`], {
        cwd,
        env: { GLUCO_HUB__STATE__URL: f.redis.url, GLUCO_HUB__FLEET__LEASE_MS: String(LEASE_MS), GLUCO_HUB__FLEET__LOCAL_ADDRESS: '127.0.0.6', GLUCO_HUB__LOG__FORMAT: 'json' },
      });
      f.runs.push(run);
      return run;
    });
    // At start every account logs in, lists its connections and reads its graph: 60 requests at once, 15 s of budget.
    const done = (): boolean => ACCOUNTS.every((_, i) => f.vendor.requests.filter((r) => r.account === i && r.path.endsWith('/graph') && r.status === 200).length >= 2);
    const start = Date.now();
    while (!done()) {
      if (Date.now() - start > 60_000) throw new Error('accounts not polled twice');
      await pause(250);
    }
    const holders = await f.redis.client.mget(ACCOUNTS.map((b) => `gluco-hub:${b}:~lease`));
    for (const p of procs) p.child.kill('SIGTERM');
    for (const p of procs) expect(await p.exit).toBe(0);

    // All four processes sent requests (each holds its shard's accounts).
    const pids = new Set(holders.map((t) => (t ?? '').split(':')[1]));
    expect(pids).toEqual(new Set(procs.map((p) => String(p.child.pid))));
    const times = f.vendor.requests.map((r) => r.at).sort((a, b) => a - b);
    expect(new Set(f.vendor.requests.map((r) => r.from))).toEqual(new Set(['127.0.0.6']));
    expect(f.vendor.accounts.map((f) => f.counters.loginSuccesses)).toEqual(ACCOUNTS.map(() => 1));
    expect(times.length).toBeGreaterThanOrEqual(80);
    // Fixed windows of 1 s that start where Redis's counter does, not on the fake's clock: any
    // span of k seconds overlaps at most k + 1 windows, so holds at most R × (k + 1) requests.
    for (let k = 1; k <= 10; k += 1) {
      for (const [i, t] of times.entries()) {
        const within = times.slice(i).filter((u) => u < t + k * 1000).length;
        expect(within, `${within} requests in ${k} s from ${t - start} ms`).toBeLessThanOrEqual(R * (k + 1));
      }
    }
    // The budget was what held them: 4 processes × R each would have sent the burst far faster.
    expect(times.filter((t) => t < times[0]! + 5_000).length).toBeLessThanOrEqual(R * 6);
  }, 120_000);
});

describe.skipIf(HAVE_REDIS)(NO_REDIS, () => it.skip('needs redis-server', () => undefined));
