/**
 * `freshness`: fake LibreLink Up clouds publish a new current reading every 15 s (a 4× accelerated
 * Libre stream), each visible 5–8 s after its timestamp (the vendor's lag, varying per reading).
 * Bridges with gluco-hub's schedule and bridges with a fixed timer of the same period run side by
 * side, each against its own fake (own sensor phase), into the filesystem output. Per reading:
 * delay from "visible at the vendor" to "written by the output", and vendor calls per delivered
 * reading (the graph calls after the reading before it was in, up to its own; the start-up login
 * and back-fill are left out).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, type Actor } from 'xstate';
import { linkupSourceSchema } from '../lib/config/schema.js';
import { createLogger } from '../lib/logger.js';
import { createStateStore } from '../lib/state-store.js';
import { pollerMachine, type ScheduleDecision } from '../machines/index.js';
import { failedFrameDelayMs } from '../machines/schedule.js';
import { createFilesystemOutput } from '../outputs/filesystem/index.js';
import { createLibreLinkUpDriver } from '../sources/librelinkup/index.js';
import { startFakeLibreLinkUp, type FakeLibreLinkUp } from '../test/fakes/llu-server.js';
import { sleep } from './proc.js';
import { numberFlag, percentile, publish, round } from './report.js';

const CADENCE_MS = 15_000;
const BASE_LAG_MS = 5_000;
const LAG_JITTER_MS = 3_000;
const BRIDGES_PER_SCHEDULE = 10;
const LEARNING_MS = 60_000;

/** How long after its time reading `at` becomes visible: fixed per reading, 5–8 s. */
const vendorLagMs = (at: number): number => BASE_LAG_MS + (Math.imul(Math.floor(at / 1000), 2_654_435_761) >>> 0) % LAG_JITTER_MS;

/** The time the fake serves at real time `t`: the newest reading whose lag has passed. */
function vendorClock(phaseMs: number) {
  return (t: number): number => {
    const tick = Math.floor((t - phaseMs) / CADENCE_MS) * CADENCE_MS + phaseMs;
    return tick + vendorLagMs(tick) <= t ? tick : tick - CADENCE_MS;
  };
}

const fixedInterval: ScheduleDecision = (now, result, failures, loop, rand) =>
  result.outcome === 'failed' ? failedFrameDelayMs(now, failures, loop, rand, result.notBeforeMs) : loop.expectedIntervalMs;

interface Bridge {
  schedule: string;
  phaseMs: number;
  fake: FakeLibreLinkUp;
  actor?: Actor<typeof pollerMachine>;
  /** Reading date → when the filesystem output confirmed it. */
  confirmed: Map<number, number>;
  /** Reading date → when the vendor's answer with it arrived (before the output's write). */
  fetched: Map<number, number>;
  pending: number[];
  /** When each vendor call after the first frame went out. */
  fetchTimes: number[];
  framesDone: number;
}

async function startBridge(schedule: string, decision: ScheduleDecision | undefined, index: number, dir: string): Promise<Bridge> {
  const phaseMs = ((index * 7 + (schedule === 'fixed' ? 3 : 0)) % (CADENCE_MS / 1000)) * 1000;
  const clock = vendorClock(phaseMs);
  const fake = await startFakeLibreLinkUp({ now: () => clock(Date.now()), timing: { currentEveryMs: CADENCE_MS, phaseMs } });
  const log = createLogger({ level: 'silent', format: 'json' });
  const settings = linkupSourceSchema.parse({
    kind: 'linkup',
    username: fake.scenario.email,
    password: fake.scenario.password,
    server: fake.url,
    intervalSeconds: CADENCE_MS / 1000,
    minIntervalSeconds: 10,
  });
  const id = `${schedule}-${index}`;
  const driver = createLibreLinkUpDriver(settings, { now: Date.now, log, state: createStateStore(join(dir, id, 'state'), log) });
  const output = createFilesystemOutput({ dir: join(dir, id, 'data') }, {});
  await output.start();
  const bridge: Bridge = { schedule, phaseMs, fake, confirmed: new Map(), fetched: new Map(), pending: [], fetchTimes: [], framesDone: 0 };
  bridge.actor = createActor(pollerMachine, {
    input: {
      bridgeId: id,
      driver,
      outputs: [output],
      now: Date.now,
      ...(decision ? { schedule: decision } : {}),
      notify: (e) => {
        if (e.type === 'frame.fetched' && bridge.framesDone > 0) bridge.fetchTimes.push(Date.now());
        if (e.type === 'frame.transformed') {
          const at = Date.now();
          bridge.pending = e.batch.entries.map((d) => d.date);
          for (const date of bridge.pending) if (!bridge.fetched.has(date)) bridge.fetched.set(date, at);
        }
        if (e.type === 'frame.stored') {
          const at = Date.now();
          for (const date of bridge.pending) if (!bridge.confirmed.has(date)) bridge.confirmed.set(date, at);
        }
        if (e.type === 'frame.done') bridge.framesDone++;
      },
    },
  });
  bridge.actor.start();
  return bridge;
}

function summarize(bridges: readonly Bridge[], fromMs: number, toMs: number) {
  const delays: number[] = [];
  const fetchDelays: number[] = [];
  let missing = 0;
  let calls = 0;
  let paid = 0;
  for (const b of bridges) {
    // Every reading that became visible inside the window, confirmed or not.
    const first = Math.ceil((fromMs - b.phaseMs) / CADENCE_MS) * CADENCE_MS + b.phaseMs;
    for (let tick = first; tick + vendorLagMs(tick) <= toMs; tick += CADENCE_MS) {
      const visible = tick + vendorLagMs(tick);
      if (visible < fromMs) continue;
      const at = b.confirmed.get(tick);
      if (at === undefined) {
        missing++;
        continue;
      }
      delays.push(at - visible);
      const fetchedAt = b.fetched.get(tick);
      if (fetchedAt !== undefined) fetchDelays.push(fetchedAt - visible);
      // The calls this reading cost: those after the previous reading was in, up to its own.
      const previous = b.confirmed.get(tick - CADENCE_MS);
      if (previous === undefined) continue;
      calls += b.fetchTimes.filter((t) => t > previous && t <= at).length;
      paid++;
    }
  }
  return { delays, fetchDelays, missing, callsPerReading: calls / Math.max(1, paid) };
}

export async function freshnessBenchmark(args: readonly string[]): Promise<void> {
  const seconds = numberFlag(args, 'seconds', 150);
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-freshness-'));
  const bridges: Bridge[] = [];
  try {
    for (let i = 0; i < BRIDGES_PER_SCHEDULE; i++) {
      bridges.push(await startBridge('gluco-hub', undefined, i, dir));
      bridges.push(await startBridge('fixed', fixedInterval, i, dir));
    }
    // Readings are counted from when every bridge has done its first frame (the back-fill).
    while (bridges.some((b) => b.framesDone === 0)) await sleep(100);
    const fromMs = Date.now();
    await sleep(seconds * 1000);
    // A reading visible in the last interval may still be on its way: it is not judged.
    const toMs = Date.now() - CADENCE_MS - 5_000;
    const rows = ['gluco-hub', 'fixed'].map((schedule) => {
      const group = bridges.filter((b) => b.schedule === schedule);
      const s = summarize(group, fromMs, toMs);
      // Learning the lag costs a few extra calls per bridge at first; past that, the steady state.
      const steady = summarize(group, fromMs + LEARNING_MS, toMs);
      return {
        schedule: schedule === 'fixed' ? `fixed timer every ${CADENCE_MS / 1000} s` : 'gluco-hub (newest + interval + learned lag, short retries)',
        readings: s.delays.length,
        'not delivered': s.missing,
        'delay p50 s': round(percentile(s.delays, 50) / 1000, 1),
        'delay p95 s': round(percentile(s.delays, 95) / 1000, 1),
        'delay max s': round(Math.max(...s.delays) / 1000, 1),
        'to fetched (before the write) p95 s': round(percentile(s.fetchDelays, 95) / 1000, 1),
        'vendor calls per reading': round(s.callsPerReading, 2),
        'after the first minute: delay p95 s': round(percentile(steady.delays, 95) / 1000, 1),
        'after the first minute: calls per reading': round(steady.callsPerReading, 2),
      };
    });
    publish({
      benchmark: 'freshness',
      targets: { 'added delay': 'p95 ≤ 5 s', 'vendor requests per delivered reading': '≤ 1.2' },
      rows,
      details: { seconds, cadenceMs: CADENCE_MS, vendorLagMs: `${BASE_LAG_MS}–${BASE_LAG_MS + LAG_JITTER_MS}`, bridgesPerSchedule: BRIDGES_PER_SCHEDULE },
    });
  } finally {
    for (const b of bridges) b.actor?.stop();
    await Promise.all(bridges.map((b) => b.fake.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
