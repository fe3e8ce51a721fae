/**
 * `memory`: RSS of the real built CLI, `gluco-hub forever`, with the simulator feeding a fake
 * Nightscout, an MQTT broker (aedes) and the HTTP API — side by side with a bare `node` process
 * started at the same moment, so the ratio holds on any machine. The fakes run in this process,
 * not in the measured ones. Default 2 minutes (`--seconds N` for a quick look).
 *
 * Alongside, a second hub reads the simulator at a CGM's 5-min cadence with the HTTP API on and
 * nobody asking it anything: its CPU between the first frame and the next is the idle cost.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT } from '../test/e2e/cli.js';
import { freePort, startAedes } from '../test/fakes/brokers.js';
import { call } from '../test/fakes/http-call.js';
import { startFakeNightscout } from '../test/fakes/nightscout-server.js';
import { cpuMs, rssBytes, sleep } from './proc.js';
import { mb, numberFlag, publish, round } from './report.js';

const API_SECRET = 'bench-api-secret-0123';
const SAMPLE_MS = 5_000;
/** The idle hub's next frame comes 300 s after its first; the idle window ends well before. */
const IDLE_UNTIL_MS = 280_000;
/** Measured after the other hub has stopped, so the two do not share the machine's noise. */
const IDLE_WINDOW_MS = 60_000;

/** Builds `dist/` so the benchmark measures this checkout, not a stale build. */
export function buildCli(): void {
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

interface IdleCpu {
  seconds: number;
  hubCpuMs: number;
  bareCpuMs: number;
  hubPercent: number;
  barePercent: number;
}

/** When the hub logs its first frame (one line per frame, naming its loop). */
function firstFrame(hub: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    let log = '';
    const onLog = (chunk: Buffer): void => {
      log += chunk.toString();
      if (!log.includes('"loop":"entries"')) return;
      hub.stderr?.off('data', onLog);
      resolve(Date.now());
    };
    hub.stderr?.on('data', onLog);
  });
}

/**
 * CPU (/proc utime + stime) of the idle hub and of bare node over the same window, up to
 * `IDLE_WINDOW_MS` and ending before the hub's next frame; undefined if no such window is left.
 */
async function idleCpu(hub: ChildProcess, bare: ChildProcess, firstFrameAtMs: number): Promise<IdleCpu | undefined> {
  const windowMs = Math.min(IDLE_WINDOW_MS, firstFrameAtMs + IDLE_UNTIL_MS - Date.now());
  if (windowMs < 10_000) return undefined;
  const take = () => ({ atMs: Date.now(), hub: cpuMs(hub.pid!) ?? NaN, bare: cpuMs(bare.pid!) ?? NaN });
  const start = take();
  await sleep(windowMs);
  const end = take();
  const seconds = (end.atMs - start.atMs) / 1000;
  const hubCpuMs = end.hub - start.hub;
  const bareCpuMs = end.bare - start.bare;
  return { seconds: round(seconds), hubCpuMs, bareCpuMs, hubPercent: round(hubCpuMs / seconds / 10, 3), barePercent: round(bareCpuMs / seconds / 10, 3) };
}

export async function memoryBenchmark(args: readonly string[]): Promise<void> {
  const seconds = numberFlag(args, 'seconds', 120);
  buildCli();
  const cwd = mkdtempSync(join(tmpdir(), 'gh-bench-memory-'));
  const nightscout = await startFakeNightscout({ apiSecret: API_SECRET });
  const broker = await startAedes();
  const httpPort = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: cwd,
    CONNECT_SOURCE: 'simulator',
    CONNECT_SIMULATOR_INTERVAL: '60',
    CONNECT_NIGHTSCOUT_ENDPOINT: nightscout.url,
    CONNECT_API_SECRET: API_SECRET,
    GLUCO_HUB__MQTT__URL: broker.url,
    // aedes speaks MQTT 3.1.1
    GLUCO_HUB__MQTT__PROTOCOL_VERSION: '4',
    GLUCO_HUB__MQTT__DISCOVERY: 'true',
    GLUCO_HUB__HTTP__BIND: `127.0.0.1:${httpPort}`,
    GLUCO_HUB__LOG__FORMAT: 'json',
  };
  const hub = spawn(process.execPath, [BIN, 'forever'], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  // Its own folder: its files and state (and that state's lock) are apart from the other hub's.
  const idleCwd = join(cwd, 'idle');
  mkdirSync(idleCwd);
  const idleHttpPort = await freePort();
  const idleEnv = {
    PATH: env.PATH,
    HOME: idleCwd,
    CONNECT_SOURCE: 'simulator',
    CONNECT_SIMULATOR_INTERVAL: '300',
    GLUCO_HUB__HTTP__BIND: `127.0.0.1:${idleHttpPort}`,
    GLUCO_HUB__LOG__FORMAT: 'json',
  };
  const idleHub = spawn(process.execPath, [BIN, 'forever'], { cwd: idleCwd, env: idleEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  let hubLog = '';
  hub.stderr?.on('data', (chunk: Buffer) => {
    hubLog = (hubLog + chunk.toString()).slice(-4_000);
  });
  let idleFirstFrameAt: number | undefined;
  void firstFrame(idleHub).then((at) => (idleFirstFrameAt = at));
  const samples: { atS: number; hubMb: number; bareMb: number }[] = [];
  let httpRequests = 0;
  try {
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      await sleep(SAMPLE_MS);
      if (hub.exitCode !== null) throw new Error(`gluco-hub exited (${hub.exitCode}):\n${hubLog}`);
      // Someone looks at the status page and a monitor scrapes the API, as in real use.
      for (const path of ['/healthz', '/glucose/latest', '/metrics', '/']) {
        await call(`http://127.0.0.1:${httpPort}${path}`).catch(() => undefined);
        httpRequests++;
      }
      samples.push({ atS: Math.round((Date.now() - started) / 1000), hubMb: mb(rssBytes(hub.pid!) ?? 0), bareMb: mb(rssBytes(bare.pid!) ?? 0) });
    }
    const last = samples.at(-1)!;
    const peak = Math.max(...samples.map((s) => s.hubMb));
    const written = nightscout.docs('entries').length;
    hub.kill('SIGTERM');
    await exited(hub);
    const idle = idleFirstFrameAt === undefined ? undefined : await idleCpu(idleHub, bare, idleFirstFrameAt);
    publish({
      benchmark: 'memory',
      targets: { 'single bridge with all outputs': '≤ 1.35 × bare-node RSS', 'idle CPU between frames': '≤ 0.05 % of a core' },
      rows: [
        { process: 'bare node (setInterval)', 'RSS MB (end)': last.bareMb, 'RSS MB (peak)': Math.max(...samples.map((s) => s.bareMb)) },
        { process: 'gluco-hub forever: simulator → Nightscout + MQTT + HTTP', 'RSS MB (end)': last.hubMb, 'RSS MB (peak)': peak },
        { process: 'ratio', 'RSS MB (end)': round(last.hubMb / last.bareMb), 'RSS MB (peak)': round(peak / last.bareMb) },
        { process: 'idle between frames: gluco-hub forever, simulator every 300 s → files + HTTP (no client)', 'CPU % of a core': idle?.hubPercent ?? 'no idle window' },
        { process: 'idle: bare node (setInterval), same window', 'CPU % of a core': idle?.barePercent ?? '' },
      ],
      details: { seconds, simulatorIntervalSeconds: 60, nightscoutEntriesWritten: written, httpRequests, samples, idle },
    });
  } finally {
    hub.kill('SIGTERM');
    idleHub.kill('SIGTERM');
    bare.kill('SIGTERM');
    await Promise.all([exited(hub), exited(idleHub), exited(bare)]);
    await broker.close();
    await nightscout.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}
