import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { foreverRuns, runCli, tempDir, type Running } from './cli.js';
import { freePort } from '../fakes/brokers.js';
import { call } from '../fakes/http-call.js';

const { forever, stop } = foreverRuns();

interface ApiReading {
  dateMs: number;
  sgv: number;
}

async function readings(base: string, count: number): Promise<ApiReading[]> {
  return (await call(`${base}/glucose?count=${count}`)).json() as ApiReading[];
}

/** Waits for the line `forever` logs once its bridges run: from then on the API answers with what they know. */
async function running(run: Running, base: string): Promise<void> {
  await run.until((o) => o.stderr.includes(`HTTP API on ${base}`) && o.stderr.includes('running the built-in simulator'));
}

describe('gluco-hub forever after a restart', () => {
  it('starts warm: the readings of the last run are in /glucose and the status page from the first request', async () => {
    const cwd = tempDir();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // A reading a minute: the simulator's day of history is 1,440 readings, quick to back-fill.
    const env = { CONNECT_SIMULATOR_INTERVAL: '60', GLUCO_HUB__HTTP__ENABLED: 'true', GLUCO_HUB__HTTP__BIND: `127.0.0.1:${port}` };

    const first = forever(cwd, env);
    await running(first, base);
    // The first frame back-fills the simulator's day; wait until the API serves it.
    let before: ApiReading[] = [];
    for (let attempt = 0; attempt < 100 && before.length < 1_000; attempt += 1) {
      before = await readings(base, 10_000);
      if (before.length < 1_000) await new Promise((r) => setTimeout(r, 200));
    }
    expect(before.length).toBeGreaterThanOrEqual(1_000);
    expect(await stop(first)).toBe(0);
    // Saved in the state folder, not taken from the data folder.
    const ring = join(cwd, '.gluco-hub', 'simulator', 'recent-readings.jsonl');
    const saved = readFileSync(ring, 'utf8');
    expect(saved).toContain(`"date":${before[0]!.dateMs}`);
    // capture is read-only: it never touches the ring.
    expect((await runCli(['capture'], { cwd, env })).code).toBe(0);
    expect(readFileSync(ring, 'utf8')).toBe(saved);

    const second = forever(cwd, env);
    await running(second, base);
    const latestFive = await readings(base, 5);
    const page = (await call(`${base}/`)).body;
    const all = await readings(base, 10_000);
    expect(await stop(second)).toBe(0);

    expect(latestFive).toHaveLength(5);
    // Every reading the first run served is served again at once; the simulator does not fetch
    // them again (they are already in the data folder), so only the saved ring can bring them back.
    const dates = new Set(all.map((r) => r.dateMs));
    expect(before.filter((r) => !dates.has(r.dateMs))).toEqual([]);
    const counted = Number(/data-readings="(\d+)"/.exec(page)?.[1]);
    expect(counted).toBeGreaterThanOrEqual(before.length);
  });
});
