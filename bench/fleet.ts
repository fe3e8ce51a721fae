/**
 * `fleet`: 1, 100 and 1,000 simulator bridges in one `gluco-hub forever` (the built CLI, one
 * config file), each reading every 5 s (a 60× accelerated CGM) into its own filesystem output.
 * Outputs are seeded with a reading from a moment ago, so the run measures the steady state and
 * not a 24-hour back-fill per bridge. Measured from /proc after a warm-up: RSS, CPU share of one
 * core, frames (simulated vendor requests) per second, and memory per bridge between the sizes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../test/e2e/cli.js';
import { buildCli } from './memory.js';
import { cpuMs, rssBytes, sleep } from './proc.js';
import { mb, numberFlag, publish, round } from './report.js';

const INTERVAL_S = 5;

interface FleetRun {
  bridges: number;
  rssMb: number;
  cpuShare: number;
  framesPerS: number;
  startS: number;
}

/** One stored entry and treatment just before `nowMs`: a bridge that starts from here back-fills nothing. */
export function seed(dir: string, nowMs: number): void {
  const day = new Date(nowMs).toISOString().slice(0, 10);
  const doc = (collection: string, extra: Record<string, unknown>) => {
    mkdirSync(join(dir, collection), { recursive: true });
    const line = { identifier: `seed-${collection}`, date: nowMs - 2_000, device: 'bench-seed', ...extra };
    writeFileSync(join(dir, collection, `${day}.jsonl`), `${JSON.stringify(line)}\n`);
  };
  doc('entries', { type: 'sgv', sgv: 100, dateString: new Date(nowMs - 2_000).toISOString() });
  doc('treatments', { eventType: 'Note', created_at: new Date(nowMs - 2_000).toISOString() });
}

async function runFleet(bridges: number, warmupS: number, measureS: number): Promise<FleetRun> {
  const cwd = mkdtempSync(join(tmpdir(), `gh-bench-fleet-${bridges}-`));
  const now = Date.now();
  const config = {
    stateDir: join(cwd, 'state'),
    http: { enabled: false },
    log: { level: 'info', format: 'json' },
    bridges: Array.from({ length: bridges }, (_, i) => {
      const dir = join(cwd, 'data', `b${i}`);
      seed(dir, now);
      return { id: `b${i}`, source: { kind: 'simulator', intervalSeconds: INTERVAL_S, seed: i + 1 }, filesystem: { dir } };
    }),
  };
  const file = join(cwd, 'fleet.json');
  writeFileSync(file, JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, [BIN, 'forever', '--config', file], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: cwd },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let frames = 0;
  let firstFrameMs: number | undefined;
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-2_000);
    const done = text.match(/"outcome":"success"/g)?.length ?? 0;
    if (done > 0) firstFrameMs ??= Date.now();
    frames += done;
  });
  try {
    const started = Date.now();
    // Start-up (building 1,000 bridges) is reported apart; the warm-up counts from the first frame.
    while (firstFrameMs === undefined && Date.now() - started < 180_000) {
      if (child.exitCode !== null) throw new Error(`gluco-hub exited (${child.exitCode}): ${tail}`);
      await sleep(200);
    }
    await sleep(warmupS * 1000);
    if (child.exitCode !== null) throw new Error(`gluco-hub exited (${child.exitCode}): ${tail}`);
    const cpu0 = cpuMs(child.pid!) ?? 0;
    const frames0 = frames;
    const t0 = Date.now();
    await sleep(measureS * 1000);
    const wallMs = Date.now() - t0;
    const cpu1 = cpuMs(child.pid!) ?? cpu0;
    return {
      bridges,
      rssMb: mb(rssBytes(child.pid!) ?? 0),
      cpuShare: (cpu1 - cpu0) / wallMs,
      framesPerS: ((frames - frames0) / wallMs) * 1000,
      startS: ((firstFrameMs ?? Date.now()) - started) / 1000,
    };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    rmSync(cwd, { recursive: true, force: true });
  }
}

export async function fleetBenchmark(args: readonly string[]): Promise<void> {
  const warmupS = numberFlag(args, 'warmup', 15);
  const measureS = numberFlag(args, 'seconds', 20);
  buildCli();
  const runs: FleetRun[] = [];
  for (const bridges of [1, 100, 1000]) runs.push(await runFleet(bridges, warmupS, measureS));
  const base = runs[0]!;
  const perBridgeKb = (r: FleetRun, from: FleetRun) => round(((r.rssMb - from.rssMb) * 1024) / (r.bridges - from.bridges), 0);
  // At a real cadence (5 min CGM, 1 min LibreLink Up) the same fleet does 60× / 12× fewer frames.
  const cpuPerFrameMs = (r: FleetRun) => (r.framesPerS > 0 ? (r.cpuShare * 1000) / r.framesPerS : 0);
  publish({
    benchmark: 'fleet',
    targets: { 'marginal memory per bridge at 1,000 bridges': '≤ 300 KB', 'steady CPU at 1,000 bridges': '< 25 % of one core' },
    rows: runs.map((r, i) => ({
      bridges: r.bridges,
      'RSS MB': r.rssMb,
      'CPU % of one core (5 s cadence)': round(r.cpuShare * 100, 1),
      'frames/s (simulated vendor requests)': round(r.framesPerS, 1),
      'CPU ms per frame': round(cpuPerFrameMs(r), 2),
      'CPU % at a 5-min cadence (60× fewer frames)': round((r.cpuShare * 100) / 60, 2),
      'KB per added bridge': i === 0 ? '-' : perBridgeKb(r, runs[i - 1]!),
      'start-up s (to first frame)': round(r.startS, 1),
    })),
    details: { intervalSeconds: INTERVAL_S, warmupSeconds: warmupS, measureSeconds: measureS, marginalKbFrom1To1000: perBridgeKb(runs[2]!, base), runs },
  });
}
