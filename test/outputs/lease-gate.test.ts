import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { emptyBatch, type Batch } from '../../lib/domain.js';
import { createStateStore } from '../../lib/state-store.js';
import { createOutputs } from '../../outputs/registry.js';
import { captureLog } from '../fakes/capture-log.js';
import { entry } from '../fakes/bridge-events.js';

const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const signal = new AbortController().signal;
const batchAt = (date: number, identifier: string): Batch => ({ ...emptyBatch(), entries: [{ ...entry(date, 120), identifier }] });

/**
 * In a fleet, a process that stalled past its lease must not write: a folder or a broker keeps no
 * epoch, so a batch written by both the stalled process and the bridge's new owner lands twice. Nor
 * may the batch be lost: a LibreLink Up current reading is served once.
 */
describe('outputs of a fleet bridge, gated by its lease', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gh-lease-gate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function outputs(holds: () => boolean) {
    const file = path.join(dir, 'bridges.json');
    await writeFile(file, JSON.stringify({ stateDir: path.join(dir, 'state'), bridges: [{ id: 'ann', source: { kind: 'simulator' }, filesystem: { dir: path.join(dir, 'files') } }] }));
    const bridge = loadConfig({ env: {}, cli: { config: file }, cwd: dir }).bridges[0]!;
    const captured = captureLog();
    const state = createStateStore(path.join(dir, 'state', 'ann'), captured.log);
    const [files] = await createOutputs(bridge, { now: () => NOW, log: captured.log, state, holds });
    await files!.start();
    return files!;
  }

  const stored = async (): Promise<string[]> => {
    const days = await readdir(path.join(dir, 'files', 'entries')).catch(() => []);
    const lines = await Promise.all(days.map(async (d) => (await readFile(path.join(dir, 'files', 'entries', d), 'utf8')).trim().split('\n')));
    return lines.flat().filter(Boolean).map((l) => (JSON.parse(l) as { identifier: string }).identifier);
  };

  it('writes while the lease is trusted; once it is not, writes nothing (FLEET007) and keeps the batch queued in the state for the next owner, who delivers it once', async () => {
    let held = true;
    const files = await outputs(() => held);
    await expect(files.store(batchAt(NOW - 60_000, 'one'), signal)).resolves.toMatchObject({ stored: 1 });
    held = false;
    const late = await files.store(batchAt(NOW, 'two'), signal);
    expect(late).toMatchObject({ stored: 0, queued: 1 });
    expect(String(late.error)).toMatch(/\[FLEET007\] batch for bridge "ann" not written to filesystem/);
    expect(await stored()).toEqual(['one']);
    await files.stop();
    // The next owner (the same state, its lease trusted) delivers what waits, and 'one' is not written again.
    const next = await outputs(() => true);
    await vi.waitFor(async () => expect(await stored()).toEqual(['one', 'two']), { timeout: 5_000 });
    await next.stop();
  });

  it('passes start, newest and stop through while the lease is gone: reading is not writing', async () => {
    const files = await outputs(() => false);
    await expect(files.newest(signal)).resolves.toBeDefined();
    await files.stop();
  });
});
