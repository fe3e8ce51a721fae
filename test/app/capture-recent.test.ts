import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOnce } from '../../app/capture.js';
import { loadConfig } from '../../lib/config/load.js';
import { createLogger } from '../../lib/logger.js';
import { tempDir } from '../e2e/cli.js';

const log = createLogger({ level: 'silent', format: 'json' });

function setup() {
  const cwd = tempDir();
  const stateDir = join(cwd, 'state');
  const config = loadConfig({ env: { CONNECT_SIMULATOR_INTERVAL: '60', GLUCO_HUB__STATE_DIR: stateDir }, cli: { filesystemDir: join(cwd, 'data') }, cwd });
  return { config, stateDir, ring: join(stateDir, 'simulator', 'recent-readings.jsonl') };
}

describe('capture and the recent-readings ring', () => {
  it('without --persist it writes no ring', async () => {
    const { config, ring } = setup();
    await captureOnce(config, config.bridges[0]!, { log, persist: false });
    expect(existsSync(ring)).toBe(false);
  });

  it('with --persist it keeps what it wrote, for the next forever to show', async () => {
    const { config, ring } = setup();
    const capture = await captureOnce(config, config.bridges[0]!, { log, persist: true });
    const fetched = capture.loops.find((l) => l.loop === 'entries')?.batch?.entries.length ?? 0;
    expect(fetched).toBeGreaterThan(0);
    expect(readFileSync(ring, 'utf8').trim().split('\n')).toHaveLength(fetched);
  });

  it('beside a running bridge, even with --persist, it leaves the ring alone', async () => {
    const { config, stateDir, ring } = setup();
    mkdirSync(join(stateDir, 'simulator'), { recursive: true });
    writeFileSync(ring, '{"kept":"as it is"}\n');
    // pid 1 always runs: the folder counts as held by a live gluco-hub.
    writeFileSync(join(stateDir, 'gluco-hub.lock'), JSON.stringify({ pid: 1, host: hostname(), command: 'forever', since: new Date().toISOString() }));
    await captureOnce(config, config.bridges[0]!, { log, persist: true });
    expect(readFileSync(ring, 'utf8')).toBe('{"kept":"as it is"}\n');
  });
});
