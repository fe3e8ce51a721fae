/**
 * `backlog`: a fresh install's back-fill into an empty real Nightscout (cgm-remote-monitor 15.0.7
 * from ../shared/real-nightscout, API v3 with a token): documents per second delivered, how long
 * until the site shows the current reading, and how long until the whole backlog is in — gluco-hub's
 * Nightscout output behind its dead-letter queue (slices, 4 POSTs in flight, newest first) side by
 * side with one POST at a time, oldest first. `--documents N` (default 5,760: a day at 15 s).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Entry } from '../lib/domain.js';
import { syncIdentifier } from '../lib/identity.js';
import { createLogger } from '../lib/logger.js';
import { createNightscoutClient } from '../lib/nightscout/client.js';
import { siteFrom } from '../lib/nightscout/site.js';
import { Secret } from '../lib/secret.js';
import { createStateStore } from '../lib/state-store.js';
import { prepareDocument } from '../outputs/nightscout/documents.js';
import { createNightscoutOutput, OUTPUT_SITE_NAMES } from '../outputs/nightscout/index.js';
import { reliable } from '../outputs/reliable/index.js';
import { numberFlag, publish, round } from './report.js';

const INTERVAL_MS = 15_000;
/** A day at 15 s. */
const DEFAULT_DOCUMENTS = 5_760;
const DEVICE = 'gluco-hub-bench';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function readings(n: number, newest: number): Entry[] {
  return Array.from({ length: n }, (_, i) => {
    const date = newest - (n - 1 - i) * INTERVAL_MS;
    return { type: 'sgv', sgv: 100 + (i % 80), date, dateString: new Date(date).toISOString(), device: DEVICE, direction: 'Flat', identifier: syncIdentifier({ device: DEVICE, date }) };
  });
}

type Site = Awaited<ReturnType<typeof import('../test/fakes/real-nightscout.js').startRealNightscout>>;

async function count(ns: Site): Promise<number> {
  return (await ns.get<{ count: number }[]>(`/api/v1/count/entries/where?find[device]=${DEVICE}&find[date][$gt]=0`))[0]?.count ?? 0;
}

async function newest(ns: Site): Promise<number> {
  return ((await ns.get<{ date?: number }[]>(`/api/v1/entries.json?count=1&find[device]=${DEVICE}&find[date][$gt]=0`))[0]?.date) ?? 0;
}

/** Polls the site while `deliver` runs: when it first shows `current`, and when it holds all `n`. */
async function timed(ns: Site, n: number, current: number, deliver: () => Promise<void>): Promise<{ currentS: number; wholeS: number }> {
  const started = performance.now();
  let currentAt: number | undefined;
  let done = false;
  const delivering = deliver().finally(() => (done = true));
  while (true) {
    if (currentAt === undefined && (await newest(ns)) >= current) currentAt = performance.now();
    if ((await count(ns)) >= n) break;
    if (done && (await count(ns)) < n) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      if ((await count(ns)) < n) throw new Error(`backlog: only ${await count(ns)} of ${n} arrived`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const wholeAt = performance.now();
  await delivering;
  return { currentS: ((currentAt ?? wholeAt) - started) / 1000, wholeS: (wholeAt - started) / 1000 };
}

export async function backlogBenchmark(args: readonly string[]): Promise<void> {
  const shelf = join(ROOT, '..', 'shared', 'real-nightscout');
  process.env.GLUCO_HUB_REAL_NIGHTSCOUT ??= existsSync(join(shelf, 'start.sh')) ? shelf : undefined;
  if (!process.env.GLUCO_HUB_REAL_NIGHTSCOUT) {
    console.log('\nbacklog: skipped — it needs the real Nightscout: run ../shared/real-nightscout/setup.sh, or set GLUCO_HUB_REAL_NIGHTSCOUT to its folder');
    return;
  }
  const { startRealNightscout } = await import('../test/fakes/real-nightscout.js');
  const n = numberFlag(args, 'documents', DEFAULT_DOCUMENTS);
  const log = createLogger({ level: 'silent', format: 'json' });
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-backlog-'));
  const rows = [];
  try {
    {
      const ns = await startRealNightscout();
      try {
        const token = await ns.token('gluco-hub', 'admin');
        const now = Date.now();
        let drained: () => void = () => undefined;
        const empty = new Promise<void>((resolve) => (drained = resolve));
        const transport = createNightscoutOutput({ endpoint: ns.url, token: new Secret(token), api: 'v3' }, { log, now: Date.now });
        const output = reliable(transport, {
          state: createStateStore(join(dir, 'state'), log),
          log,
          now: Date.now,
          maxEntries: Math.max(20_000, n),
          onDelivery: (r) => r.waiting === 0 && drained(),
        });
        await output.start();
        await output.newest(new AbortController().signal);
        const t = await timed(ns, n, now, async () => {
          await output.store({ entries: readings(n, now), treatments: [], devicestatus: [] }, new AbortController().signal);
          await empty;
        });
        await output.stop();
        rows.push({ how: 'gluco-hub (slices, 4 in flight, newest first)', documents: n, 'documents/s': round(n / t.wholeS, 0), 'site current after s': round(t.currentS, 1), 'whole backlog after s': round(t.wholeS, 1) });
      } finally {
        await ns.close();
      }
    }
    {
      const ns = await startRealNightscout();
      try {
        const token = await ns.token('gluco-hub', 'admin');
        const client = createNightscoutClient(siteFrom({ endpoint: ns.url, token: new Secret(token) }, OUTPUT_SITE_NAMES), { now: Date.now });
        const now = Date.now();
        const docs = readings(n, now);
        const signal = new AbortController().signal;
        const t = await timed(ns, n, now, async () => {
          for (const doc of docs) {
            const prepared = prepareDocument('entries', doc);
            if (prepared.ok) await client.request('v3', { method: 'POST', path: '/api/v3/entries', body: prepared.doc }, signal);
          }
        });
        rows.push({ how: 'one POST at a time, oldest first', documents: n, 'documents/s': round(n / t.wholeS, 0), 'site current after s': round(t.currentS, 1), 'whole backlog after s': round(t.wholeS, 1) });
      } finally {
        await ns.close();
      }
    }
    publish({
      // Another size gets its own file, so the default run's numbers stay where docs/performance.md cites them.
      benchmark: n === DEFAULT_DOCUMENTS ? 'backlog' : `backlog-${n}`,
      targets: { 'site current': 'within one reading interval (15 s) while the history fills in', 'whole backlog': "at the site's own pace, never restarting from the oldest" },
      rows,
      details: { server: 'cgm-remote-monitor 15.0.7 with mini-mongod (in-memory), API v3, one document per POST', intervalMs: INTERVAL_MS },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
