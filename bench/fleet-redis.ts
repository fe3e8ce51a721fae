/**
 * `fleet-redis`: a fleet across processes. One private redis-server (free port, nothing saved),
 * one config of `shards × perShard` simulator bridges (filesystem output each, a 300 s cadence so
 * the window measures the steady state, HTTP off), and `shards` built-CLI `forever --shard i/N`
 * processes with GLUCO_HUB__STATE__URL. Once every bridge's lease is held (read from Redis), it
 * measures RSS and CPU per process (/proc) and Redis commands per second (INFO stats), then
 * SIGKILLs one process and times until each of its bridges is held by another process again.
 * One run per lease time (`--lease-ms 30000,5000`: the default and a short one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { BIN } from '../test/e2e/cli.js';
import { startRedis } from '../test/fakes/redis.js';
import { buildCli } from './memory.js';
import { cpuMs, rssBytes, sleep } from './proc.js';
import { mb, numberFlag, publish, round } from './report.js';
import { seed } from './fleet.js';

const INTERVAL_S = 300;
const PREFIX = 'gluco-hub';

interface ProcessSample {
  shard: number;
  bridgesHeld: number;
  rssMb: number;
  cpuShare: number;
}

interface FleetRedisRun {
  leaseMs: number;
  bridges: number;
  shards: number;
  /** From spawning the processes until every bridge's lease is held. */
  allHeldS: number;
  processes: ProcessSample[];
  redisOpsPerS: number;
  redisInstantaneousOpsPerS: number[];
  redisUsedMemoryMb: number;
  killedShard: number;
  killedBridges: number;
  /** From the SIGKILL until the first / every one of its bridges is held by another process. */
  firstTakenS: number;
  allTakenS: number;
  /** Per second of the settling: bridges held by each process, then by none. */
  settling: number[][];
  logCodes: Record<string, number>[];
  firstLogLines: Record<string, string>[];
  redisClients: string[];
}

/** The pid in each bridge's lease token (`host:pid:random`), or undefined while nobody holds it. */
async function leaseHolders(redis: Redis, ids: readonly string[]): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = [];
  for (let i = 0; i < ids.length; i += 1_000) {
    const values = await redis.mget(ids.slice(i, i + 1_000).map((id) => `${PREFIX}:${id}:~lease`));
    for (const v of values) out.push(v === null ? undefined : Number(v.split(':').at(-2)));
  }
  return out;
}

async function redisStats(redis: Redis): Promise<{ commands: number; instantaneous: number; usedMemory: number }> {
  const info = await redis.info();
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return { commands: field('total_commands_processed'), instantaneous: field('instantaneous_ops_per_sec'), usedMemory: field('used_memory') };
}

async function runFleet(shards: number, perShard: number, leaseMs: number, measureS: number, settleS: number): Promise<FleetRedisRun> {
  const bridges = shards * perShard;
  const cwd = mkdtempSync(join(tmpdir(), `gh-bench-fleet-redis-${bridges}-`));
  const redis = await startRedis();
  const now = Date.now();
  const ids = Array.from({ length: bridges }, (_, i) => `b${i}`);
  const config = {
    stateDir: join(cwd, 'state'),
    http: { enabled: false },
    log: { level: 'warn', format: 'json' },
    bridges: ids.map((id, i) => {
      const dir = join(cwd, 'data', id);
      seed(dir, now);
      return { id, source: { kind: 'simulator', intervalSeconds: INTERVAL_S, seed: i + 1 }, filesystem: { dir } };
    }),
  };
  const file = join(cwd, 'fleet.json');
  writeFileSync(file, JSON.stringify(config));
  const tails: string[] = [];
  const codes: Record<string, number>[] = [];
  const firsts: Record<string, string>[] = [];
  const children: ChildProcess[] = Array.from({ length: shards }, (_, i) => {
    const child = spawn(process.execPath, [BIN, 'forever', '--config', file, '--shard', `${i}/${shards}`], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: cwd, GLUCO_HUB__STATE__URL: redis.url, GLUCO_HUB__FLEET__LEASE_MS: String(leaseMs) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    tails[i] = '';
    codes[i] = {};
    firsts[i] = {};
    let partial = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      tails[i] = (tails[i] + text).slice(-2_000);
      // Warnings and errors by code (the log is at warn): what went wrong, if anything did.
      for (const line of lines) {
        const code = /"code":"([A-Z]+\d+)"/.exec(line)?.[1] ?? /"level":"?(\w+)/.exec(line)?.[1] ?? 'other';
        codes[i]![code] = (codes[i]![code] ?? 0) + 1;
        firsts[i]![code] ??= line.slice(0, 400);
      }
    });
    return child;
  });
  const alive = () => {
    children.forEach((c, i) => {
      if (c.exitCode !== null) throw new Error(`shard ${i} exited (${c.exitCode}): ${tails[i]}`);
    });
  };
  try {
    const started = Date.now();
    let held = await leaseHolders(redis.client, ids);
    while (held.some((h) => h === undefined)) {
      alive();
      if (Date.now() - started > 900_000) throw new Error(`not all held after 900 s: ${held.filter((h) => h === undefined).length} free`);
      await sleep(1_000);
      held = await leaseHolders(redis.client, ids);
    }
    const allHeldS = (Date.now() - started) / 1000;
    console.log(`  ${bridges} bridges held after ${round(allHeldS, 1)} s (lease ${leaseMs} ms); settling ${settleS} s`);
    // Held leases per process each second of the settling: a fleet that keeps its leases shows flat lines.
    const settling: number[][] = [];
    for (let s = 0; s < settleS; s += 1) {
      await sleep(1_000);
      const h = await leaseHolders(redis.client, ids);
      settling.push([...children.map((c) => h.filter((x) => x === c.pid).length), h.filter((x) => x === undefined).length]);
    }
    alive();
    // The measuring window: nothing of ours talks to Redis but the two INFO calls (2 of the commands).
    const pids = children.map((c) => c.pid!);
    const cpu0 = pids.map((p) => cpuMs(p) ?? 0);
    const stats0 = await redisStats(redis.client);
    const t0 = Date.now();
    const instantaneous: number[] = [];
    for (let s = 0; s < measureS; s += 5) {
      await sleep(5_000);
      instantaneous.push((await redisStats(redis.client)).instantaneous);
    }
    const stats1 = await redisStats(redis.client);
    // Each process's connection as Redis sees it (idle seconds, last command): a stalled supervisor shows here.
    const clients = String(await redis.client.client('LIST')).trim().split('\n');
    const wallMs = Date.now() - t0;
    alive();
    held = await leaseHolders(redis.client, ids);
    const processes = pids.map((pid, shard) => ({
      shard,
      bridgesHeld: held.filter((h) => h === pid).length,
      rssMb: mb(rssBytes(pid) ?? 0),
      cpuShare: round(((cpuMs(pid) ?? 0) - cpu0[shard]!) / wallMs, 3),
    }));
    // Hand-over: SIGKILL the last shard, then read every one of its bridges' leases until another process holds each.
    const killedShard = shards - 1;
    const killedPid = pids[killedShard]!;
    const mine = ids.filter((_, i) => held[i] === killedPid);
    const k0 = Date.now();
    children[killedShard]!.kill('SIGKILL');
    let firstTakenS = Number.NaN;
    let allTakenS = Number.NaN;
    while (Date.now() - k0 < 10 * leaseMs + 120_000) {
      const now2 = await leaseHolders(redis.client, mine);
      const taken = now2.filter((h) => h !== undefined && h !== killedPid).length;
      if (taken > 0 && Number.isNaN(firstTakenS)) firstTakenS = (Date.now() - k0) / 1000;
      if (taken === mine.length) {
        allTakenS = (Date.now() - k0) / 1000;
        break;
      }
      await sleep(250);
    }
    return {
      leaseMs,
      bridges,
      shards,
      allHeldS,
      processes,
      redisOpsPerS: ((stats1.commands - stats0.commands) / wallMs) * 1000,
      redisInstantaneousOpsPerS: instantaneous,
      redisUsedMemoryMb: mb(stats1.usedMemory),
      killedShard,
      killedBridges: mine.length,
      firstTakenS,
      allTakenS,
      settling,
      logCodes: codes,
      firstLogLines: firsts,
      redisClients: clients,
    };
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((resolve) => c.once('exit', resolve)))));
    await redis.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}

function listFlag(args: readonly string[], name: string, fallback: number[]): number[] {
  const i = args.indexOf(`--${name}`);
  const values = i >= 0 ? (args[i + 1] ?? '').split(',').map(Number) : [];
  return values.length > 0 && values.every((v) => Number.isFinite(v) && v > 0) ? values : fallback;
}

export async function fleetRedisBenchmark(args: readonly string[]): Promise<void> {
  const shards = numberFlag(args, 'shards', 4);
  const perShard = numberFlag(args, 'per-shard', 2_500);
  const measureS = numberFlag(args, 'seconds', 30);
  const settleS = numberFlag(args, 'settle', 15);
  const leases = listFlag(args, 'lease-ms', [30_000, 5_000]);
  buildCli();
  const runs: FleetRedisRun[] = [];
  for (const leaseMs of leases) runs.push(await runFleet(shards, perShard, leaseMs, measureS, settleS));
  publish({
    // The size keeps the plain name; a smaller look (`--per-shard 500`) gets its own file.
    benchmark: shards * perShard === 10_000 ? 'fleet-redis' : `fleet-redis-${shards * perShard}`,
    targets: { 'hand-over after a SIGKILL (30 s leases)': '≤ ~40 s (1⅓ lease times)', 'every bridge held by exactly one process': 'yes' },
    rows: runs.flatMap((r) =>
      r.processes.map((p) => ({
        'lease ms': r.leaseMs,
        bridges: r.bridges,
        shard: `${p.shard}/${r.shards}`,
        held: p.bridgesHeld,
        'RSS MB': p.rssMb,
        'CPU % of one core': round(p.cpuShare * 100, 1),
        'Redis cmds/s (fleet)': round(r.redisOpsPerS, 0),
        'all held after s': round(r.allHeldS, 1),
        'kill → first / all taken s': p.shard !== r.killedShard ? '' : r.killedBridges === 0 ? 'held none when killed' : `${round(r.firstTakenS, 1)} / ${round(r.allTakenS, 1)}`,
      })),
    ),
    details: { intervalSeconds: INTERVAL_S, http: 'off', measureSeconds: measureS, settleSeconds: settleS, runs },
  });
}
