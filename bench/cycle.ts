/**
 * `cycle`: CPU time of one 288-reading batch (24 h at 5 min) from the vendor's raw answer to
 * confirmed writes: transform (with sync identities), route (watermark + dead-letter queue) and
 * fan out to the filesystem output and a fake Nightscout in this process. Median of many runs;
 * every run is a new day, so nothing is a duplicate. The fake server's own CPU is counted too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bridgeSchema } from '../lib/config/schema.js';
import { createLogger } from '../lib/logger.js';
import { createStateStore } from '../lib/state-store.js';
import { fanOut } from '../machines/fanout.js';
import { createOutputs } from '../outputs/registry.js';
import type { Output } from '../lib/contracts/output.js';
import { createSimulatorDriver } from '../sources/simulator/index.js';
import { startFakeNightscout } from '../test/fakes/nightscout-server.js';
import { numberFlag, percentile, publish, round } from './report.js';

const DAY_MS = 24 * 60 * 60_000;
const API_SECRET = 'bench-api-secret-0123';

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};
const systemMs = (since: NodeJS.CpuUsage): number => process.cpuUsage(since).system / 1000;

export async function cycleBenchmark(args: readonly string[]): Promise<void> {
  const runs = numberFlag(args, 'runs', 60);
  const warmup = 5;
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-cycle-'));
  const nightscout = await startFakeNightscout({ apiSecret: API_SECRET });
  const log = createLogger({ level: 'silent', format: 'json' });
  let now = Date.UTC(2026, 0, 1);
  const clock = () => now;
  const driver = createSimulatorDriver({ intervalSeconds: 300, seed: 7 }, { now: clock, log, state: createStateStore(join(dir, 'sim'), log) });
  const loop = driver.loops.find((l) => l.name === 'entries')!;
  const session = await driver.session.authorize(await driver.session.authenticate(new AbortController().signal), new AbortController().signal);

  const build = async (withNightscout: boolean): Promise<Output[]> => {
    const id = withNightscout ? 'both' : 'files';
    const bridge = bridgeSchema.parse({
      id,
      source: { kind: 'simulator' },
      filesystem: { dir: join(dir, id, 'data') },
      ...(withNightscout ? { nightscout: { endpoint: nightscout.url, apiSecret: API_SECRET, api: 'v1' } } : {}),
    });
    const outputs = await createOutputs(bridge, { now: clock, log, state: createStateStore(join(dir, id, 'state'), log) });
    for (const o of outputs) await o.start();
    return outputs;
  };

  const measure = async (outputs: readonly Output[]) => {
    const transformMs: number[] = [];
    const totalMs: number[] = [];
    const kernelMs: number[] = [];
    let stored = 0;
    for (let i = 0; i < warmup + runs; i++) {
      now += DAY_MS;
      const window = { fromMs: now - DAY_MS, toMs: now };
      const raw = await loop.fetch(session, window, new AbortController().signal);
      const started = process.cpuUsage();
      const batch = loop.transform(raw, window);
      const transformed = cpuMs(started);
      const settled = await fanOut(outputs, (o, signal) => o.store(batch, signal), { timeoutMs: 30_000, signal: new AbortController().signal });
      const total = cpuMs(started);
      const kernel = systemMs(started);
      if (batch.entries.length !== 288 || settled.some((s) => !s.ok)) throw new Error(`cycle: ${batch.entries.length} readings, ${settled.filter((s) => !s.ok).length} outputs failed`);
      if (i < warmup) continue;
      stored += settled.reduce((n, s) => n + (s.ok ? s.value.stored : 0), 0);
      transformMs.push(transformed);
      totalMs.push(total);
      kernelMs.push(kernel);
    }
    return { transformMs, totalMs, kernelMs, stored };
  };

  try {
    const files = await measure(await build(false));
    const both = await measure(await build(true));
    const row = (name: string, r: typeof files, outputs: number) => ({
      outputs: name,
      runs: r.totalMs.length,
      'transform+identify ms (p50)': round(percentile(r.transformMs, 50)),
      'whole cycle CPU ms (p50)': round(percentile(r.totalMs, 50)),
      'whole cycle CPU ms (p90)': round(percentile(r.totalMs, 90)),
      'of which kernel ms (p50)': round(percentile(r.kernelMs, 50)),
      'documents written per run': round(r.stored / r.totalMs.length / outputs, 0),
    });
    publish({
      benchmark: 'cycle',
      targets: { 'a 288-reading cycle': '≤ 5 ms CPU' },
      rows: [row('filesystem', files, 1), row('filesystem + Nightscout (fake, in process, API v1)', both, 2)],
      details: { readingsPerBatch: 288, warmupRuns: warmup, nightscoutRequests: nightscout.counters },
    });
  } finally {
    await nightscout.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
