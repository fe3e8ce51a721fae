import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCli, tempDir } from './cli.js';

interface LogLine {
  level: number;
  msg: string;
  loop?: string;
  outcome?: string;
  stored?: number;
}

function logLines(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

function storedIdentifiers(dir: string, collection: string): string[] {
  const base = join(dir, collection);
  return readdirSync(base).flatMap((f) =>
    readFileSync(join(base, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { identifier: string }).identifier),
  );
}

const framesDone = (stderr: string) => logLines(stderr).filter((l) => l.loop === 'entries' && l.outcome === 'success').length;

describe('gluco-hub forever with nothing configured', () => {
  it('runs the simulator into files, says so, drains on SIGTERM, and never writes a reading twice across restarts', async () => {
    const cwd = tempDir();
    const env = { CONNECT_SIMULATOR_INTERVAL: '3' };
    const dataDir = join(cwd, 'gluco-hub-data', 'simulator');

    const first = startCli(['forever'], { cwd, env });
    await first.until((o) => framesDone(o.stderr) >= 2, 20_000);
    const announce = logLines(first.output().stderr).find((l) => l.msg.includes('built-in simulator'));
    expect(announce?.msg).toContain('CONNECT_SOURCE');
    expect(announce?.msg).toContain(dataDir);
    const stoppedAt = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(logLines(first.output().stderr).some((l) => l.msg === 'stopped')).toBe(true);

    const afterFirst = storedIdentifiers(dataDir, 'entries');
    expect(afterFirst.length).toBeGreaterThan(1000);
    expect(new Set(afterFirst).size).toBe(afterFirst.length);

    const second = startCli(['forever'], { cwd, env });
    await second.until((o) => framesDone(o.stderr) >= 2, 20_000);
    second.child.kill('SIGINT');
    expect(await second.exit).toBe(0);

    const afterSecond = storedIdentifiers(dataDir, 'entries');
    expect(new Set(afterSecond).size).toBe(afterSecond.length);
    expect(afterSecond.length).toBeGreaterThan(afterFirst.length);
    const treatments = storedIdentifiers(dataDir, 'treatments');
    expect(new Set(treatments).size).toBe(treatments.length);
  }, 60_000);
});
