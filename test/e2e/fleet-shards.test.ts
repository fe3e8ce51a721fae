import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { preferredShard } from '../../lib/fleet/shards.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';
import { startCli, tempDir, type Running } from './cli.js';
import { alive, framed, identifiers, lines } from './fleet-logs.js';

/**
 * Three real `forever` processes, `--shard 0/3` … `2/3`, one private Redis: each bridge runs in the
 * shard the jump hash gives it; a SIGKILLed shard's bridges go to the next shard within two lease
 * times, and back to it when it is restarted; no document is written twice.
 */

const LEASE_MS = 2_000;
// Three bridges per shard at 3 shards (checked below, so a change of hash cannot pass unnoticed).
const BRIDGES = ['erin', 'frank', 'heidi', 'alice', 'bob', 'carol', 'grace', 'ivan', 'judy'];
const own = (shard: number): string[] => BRIDGES.filter((b) => preferredShard(b, 3) === shard).sort();

const logged = (run: Running, prefix: string, from = 0): string[] =>
  lines(run)
    .slice(from)
    .filter((l) => l.msg.startsWith(prefix))
    .map((l) => l.bridge as string)
    .sort();
const leased = (run: Running, from = 0): string[] => logged(run, 'fleet: leased bridge', from);
const handedBack = (run: Running, from = 0): string[] => logged(run, 'fleet: handing bridge', from);
const without = (all: readonly string[], some: readonly string[]): string[] => all.filter((b) => !some.includes(b));

describe.skipIf(!HAVE_REDIS)('a fleet of three shards', () => {
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

  function shard(cwd: string, index: number): Running {
    const run = startCli(['forever', '--config', 'bridges.yaml', '--shard', `${index}/3`], {
      cwd,
      env: { GLUCO_HUB__STATE__URL: redis.url, GLUCO_HUB__FLEET__LEASE_MS: String(LEASE_MS), GLUCO_HUB__LOG__FORMAT: 'json' },
    });
    runs.push(run);
    return run;
  }
  const holder = async (bridge: string): Promise<string | null> => redis.client.get(`gluco-hub:${bridge}:~lease`);
  const pidOf = (run: Running): RegExp => new RegExp(`^${hostname()}:${run.child.pid}:`);

  it('runs each bridge in its preferred shard, moves a killed shard\'s bridges to the next and back when it returns, and writes nothing twice', async () => {
    for (const i of [0, 1, 2]) expect(own(i)).toHaveLength(3);
    const cwd = tempDir();
    const bridges = BRIDGES.map((id, i) => `  - id: ${id}\n    source: { kind: simulator, intervalSeconds: 60, seed: ${i + 1} }\n    filesystem: { dir: out/${id} }\n`);
    writeFileSync(join(cwd, 'bridges.yaml'), `bridges:\n${bridges.join('')}`);

    const procs = [0, 1, 2].map((i) => shard(cwd, i));
    await Promise.all(procs.map((p, i) => p.until(() => own(i).every((b) => framed(p).has(b)), 30_000)));
    // Two more lease rounds: nobody takes another shard's bridge while all three are alive.
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    // A process that came up more than a lease time before another (a loaded machine) may have
    // taken that shard's bridges first: each such lease was handed back, and counts one epoch more.
    const extra = new Map<string, number>();
    for (const [i, p] of procs.entries()) {
      expect(leased(p).filter((b) => own(i).includes(b))).toEqual(own(i));
      expect(without(leased(p), own(i))).toEqual(handedBack(p));
      for (const b of handedBack(p)) extra.set(b, (extra.get(b) ?? 0) + 1);
      for (const b of own(i)) expect(await holder(b)).toMatch(pidOf(p));
    }
    const [s0, s1, s2] = procs as [Running, Running, Running];
    const mark = procs.map((p) => lines(p).length);

    // Shard 1 dies without a word: shard 2, next in order, takes its bridges once their leases ran out; shard 0 takes none.
    const killedAt = Date.now();
    s1.child.kill('SIGKILL');
    await s2.until(() => own(1).every((b) => leased(s2, mark[2]).includes(b)), LEASE_MS * 4);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS * 2);
    expect(leased(s2, mark[2])).toEqual(own(1));
    await s2.until(() => own(1).every((b) => framed(s2).has(b)), 15_000);
    expect(leased(s0, mark[0])).toEqual([]);
    for (const b of own(1)) expect(await holder(b)).toMatch(pidOf(s2));

    // Shard 1 back: shard 2 drains those bridges and gives them back; the restarted shard runs them again.
    const back = shard(cwd, 1);
    await back.until(() => leased(back).length === 3, LEASE_MS * 6);
    expect(leased(back)).toEqual(own(1));
    expect(handedBack(s2, mark[2])).toEqual(own(1));
    expect(leased(s0, mark[0])).toEqual([]);
    for (const b of own(1)) expect(await holder(b)).toMatch(pidOf(back));
    // Each move is one new epoch: shard 1's bridges were taken three times, the others once (plus any start-up hand-back).
    for (const b of BRIDGES) expect(await redis.client.get(`gluco-hub:${b}:~epoch`)).toBe(String(1 + (extra.get(b) ?? 0) + (own(1).includes(b) ? 2 : 0)));
    await back.until(() => own(1).every((b) => framed(back).has(b)), 15_000);

    for (const p of [s0, s2, back]) p.child.kill('SIGTERM');
    for (const p of [s0, s2, back]) expect(await p.exit).toBe(0);
    for (const b of BRIDGES) {
      expect(await holder(b)).toBeNull();
      const ids = identifiers(join(cwd, 'out', b));
      expect(ids.length).toBeGreaterThanOrEqual(1_440);
      expect(ids.length).toBe(new Set(ids).size);
    }
    // A clean stop leaves no heartbeat behind.
    expect(await redis.client.keys('gluco-hub:~shard:*')).toEqual([]);
  }, 60_000);
});

describe.skipIf(HAVE_REDIS)(NO_REDIS, () => it.skip('needs redis-server', () => undefined));
