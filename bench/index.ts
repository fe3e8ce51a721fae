/**
 * Benchmarks (not tests): what one fetch cycle costs in time and memory on this machine.
 * `npm run bench`. Numbers go to stdout as a table; nothing here asserts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, toPromise } from 'xstate';
import { pollerMachine } from '../machines/index.js';
import { createFilesystemOutput } from '../outputs/filesystem/index.js';
import { createSimulatorDriver } from '../sources/simulator/index.js';
import { createLogger } from '../lib/logger.js';
import { createStateStore } from '../lib/state-store.js';

const log = createLogger({ level: 'silent', format: 'json' });
const ctx = (now: () => number) => ({ now, log, state: createStateStore(join(tmpdir(), 'gh-bench-state'), log) });

interface Row {
  name: string;
  ms: number;
  docs: number;
  rssMb: number;
}

const rows: Row[] = [];
const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

async function measure(name: string, fn: () => Promise<number>): Promise<void> {
  const started = performance.now();
  const docs = await fn();
  rows.push({ name, ms: Math.round(performance.now() - started), docs, rssMb: mb(process.memoryUsage().rss) });
}

async function simulatorWindow(intervalSeconds: number): Promise<number> {
  const now = Date.now();
  const driver = createSimulatorDriver({ intervalSeconds, seed: 1 }, ctx(() => now));
  const loop = driver.loops[0]!;
  const session = await driver.session.authorize(await driver.session.authenticate(new AbortController().signal), new AbortController().signal);
  const raw = await loop.fetch(session, { fromMs: now - loop.historyMs, toMs: now }, new AbortController().signal);
  return loop.transform(raw, { fromMs: now - loop.historyMs, toMs: now }).entries.length;
}

async function fullCycle(intervalSeconds: number, dir: string): Promise<number> {
  const driver = createSimulatorDriver({ intervalSeconds, seed: 1 }, ctx(Date.now));
  const output = createFilesystemOutput({ dir }, {});
  await output.start();
  let stored = 0;
  const actor = createActor(pollerMachine, {
    input: {
      bridgeId: 'bench',
      driver,
      outputs: [output],
      now: Date.now,
      once: true,
      notify: (e) => {
        if (e.type === 'frame.stored') stored += e.result.stored + e.result.duplicates;
      },
    },
  });
  actor.start();
  await toPromise(actor);
  await output.stop();
  return stored;
}

async function main(): Promise<void> {
  rows.push({ name: 'baseline (node + imports)', ms: 0, docs: 0, rssMb: mb(process.memoryUsage().rss) });
  await measure('simulator 24 h @ 300 s: fetch + transform', () => simulatorWindow(300));
  await measure('simulator 24 h @ 1 s: fetch + transform', () => simulatorWindow(1));
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-'));
  try {
    await measure('cycle 24 h @ 300 s → filesystem (first back-fill)', () => fullCycle(300, join(dir, 'a')));
    await measure('cycle 24 h @ 300 s → filesystem (again: gap analysis finds nothing new)', () => fullCycle(300, join(dir, 'a')));
    await measure('cycle 24 h @ 5 s → filesystem (first back-fill)', () => fullCycle(5, join(dir, 'b')));
    await measure('cycle 24 h @ 5 s → filesystem (again: gap analysis finds nothing new)', () => fullCycle(5, join(dir, 'b')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.table(rows);
}

await main();
