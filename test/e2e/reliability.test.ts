import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../lib/time.js';
import { startFakeNightscout, type FakeNightscout } from '../fakes/nightscout-server.js';
import { startCli, tempDir } from './cli.js';
import { expectEveryReadingOnce, fileEntryDates, framesDone, logLines, nightscoutEntryDates, seedEarlierFile, seedEarlierRun } from './readings.js';

/**
 * The real CLI, simulator (1 reading a second) → fake Nightscout (API v3) and the filesystem:
 * an outage of the site, and crashes (SIGKILL) at random moments. Afterwards both outputs hold
 * every reading once, with no gap.
 */

const INTERVAL_MS = 1_000;
const UPLOADER = { roles: { uploader: ['api:*:create', 'api:*:update', 'api:*:read'] }, subjects: { 'gluco-hub': ['uploader'] } };

let site: FakeNightscout | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

function bridgeEnv(ns: FakeNightscout, dataDir: string): Record<string, string> {
  return {
    CONNECT_SIMULATOR_INTERVAL: String(INTERVAL_MS / 1000),
    CONNECT_NIGHTSCOUT_ENDPOINT: ns.url,
    CONNECT_NIGHTSCOUT_TOKEN: ns.token('gluco-hub'),
    GLUCO_HUB__FILESYSTEM__DIR: dataDir,
  };
}

describe('reliability, end to end', () => {
  it('Nightscout goes down: the files keep filling on time, and when it is back it gets every reading once', async () => {
    site = await startFakeNightscout(UPLOADER);
    const ns = site;
    const seededAt = seedEarlierRun(ns);
    const cwd = tempDir();
    const dataDir = join(cwd, 'data');
    seedEarlierFile(dataDir, seededAt);
    const run = startCli(['forever'], { cwd, env: bridgeEnv(ns, dataDir) });
    await run.until((o) => framesDone(o.stderr) >= 2, 20_000);

    ns.failNext(1_000_000, 503, 'all');
    const downAt = framesDone(run.output().stderr);
    await run.until((o) => logLines(o.stderr).filter((l) => l.msg.startsWith('nightscout unavailable')).length >= 4, 20_000);
    // Frames still succeed while the site is down: the filesystem is not held back.
    expect(framesDone(run.output().stderr)).toBeGreaterThanOrEqual(downAt + 3);
    const storedDuringOutage = fileEntryDates(dataDir).length;

    ns.clearFaults();
    await run.until((o) => /nightscout: back; delivered \d+ queued documents/.test(o.stderr), 30_000);
    const afterRecovery = framesDone(run.output().stderr);
    await run.until((o) => framesDone(o.stderr) >= afterRecovery + 2, 20_000);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);

    expect(storedDuringOutage).toBeGreaterThan(0);
    expectEveryReadingOnce(nightscoutEntryDates(ns), seededAt, INTERVAL_MS, 10);
    const files = fileEntryDates(dataDir);
    expect(new Set(files).size).toBe(files.length);
    expect(ns.counters.deduplicated.entries ?? 0).toBeLessThan(5);
  }, 90_000);

  it('killed with SIGKILL 20 times at random moments: after a last clean run nothing is missing and nothing is doubled', async () => {
    site = await startFakeNightscout(UPLOADER);
    const ns = site;
    const seededAt = seedEarlierRun(ns);
    const cwd = tempDir();
    const dataDir = join(cwd, 'data');
    const env = bridgeEnv(ns, dataDir);
    const rand = seededRandom(20261130);
    for (let i = 0; i < 20; i += 1) {
      const run = startCli(['forever'], { cwd, env });
      // Between start-up (before any frame) and a few frames in.
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(rand() * 2_200)));
      run.child.kill('SIGKILL');
      await run.exit;
    }
    const last = startCli(['forever'], { cwd, env });
    // Three frames, and Nightscout caught up (a write slowed by a busy machine is queued, then delivered).
    await last.until((o) => framesDone(o.stderr) >= 3 && nightscoutEntryDates(ns).filter((d) => d > seededAt).length >= 20, 60_000);
    last.child.kill('SIGTERM');
    expect(await last.exit, last.output().stderr).toBe(0);

    expectEveryReadingOnce(nightscoutEntryDates(ns), seededAt, INTERVAL_MS, 20);
    const identifiers = ns.docs('entries').map((d) => d.identifier);
    expect(new Set(identifiers).size).toBe(identifiers.length);
    const files = fileEntryDates(dataDir);
    expect(new Set(files).size, 'the filesystem holds a reading twice').toBe(files.length);
    const newestInNightscout = Math.max(...nightscoutEntryDates(ns));
    expectEveryReadingOnce(files.filter((d) => d <= newestInNightscout), Math.min(...files) - INTERVAL_MS, INTERVAL_MS, 20);
  }, 180_000);
});
