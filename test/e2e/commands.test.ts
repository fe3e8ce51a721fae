import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.js';

describe('--help', () => {
  it.each(['forever', 'capture', 'check-config'])('%s shows examples', async (command) => {
    const run = await runCli([command, '--help'], { cwd: tempDir() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
  });

  it('the top level lists the commands', async () => {
    const run = await runCli(['--help'], { cwd: tempDir() });
    expect(run.code).toBe(0);
    for (const c of ['forever', 'capture', 'check-config']) expect(run.stdout).toContain(c);
  });
});

describe('check-config', () => {
  it('prints the effective configuration with every secret masked', async () => {
    const canary = 'canary-secret-4471';
    const run = await runCli(['check-config'], {
      cwd: tempDir(),
      env: { CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: 'me@example.com', CONNECT_LINK_UP_PASSWORD: canary },
    });
    expect(run.code, run.stderr).toBe(0);
    const config = JSON.parse(run.stdout) as { bridges: { source: Record<string, unknown> }[] };
    expect(config.bridges[0]?.source).toMatchObject({ kind: 'linkup', username: 'me@example.com', password: '***' });
    expect(run.stdout + run.stderr).not.toContain(canary);
  });

  it('shows the simulator defaults when nothing is configured', async () => {
    const cwd = tempDir();
    const run = await runCli(['check-config'], { cwd });
    expect(run.code).toBe(0);
    const config = JSON.parse(run.stdout);
    expect(config.bridges[0].source).toMatchObject({ kind: 'simulator', intervalSeconds: 300 });
    expect(config.bridges[0].filesystem.dir).toBe(join(cwd, 'gluco-hub-data', 'simulator'));
    expect(existsSync(join(cwd, 'gluco-hub-data'))).toBe(false);
  });

  it('leaves out settings that exist only for tests, even when set', async () => {
    const run = await runCli(['check-config'], { cwd: tempDir(), env: { CONNECT_SIMULATOR_FAIL_AUTH: 'true', CONNECT_SIMULATOR_SEED: '7' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('failAuth');
    expect(JSON.parse(run.stdout).bridges[0].source).toEqual({ kind: 'simulator', intervalSeconds: 300, seed: 7 });
  });
});

describe('capture', () => {
  it('--json shows what the source returned and what it became, and writes nothing', async () => {
    const cwd = tempDir();
    const run = await runCli(['capture', '--json'], { cwd, env: { CONNECT_SIMULATOR_INTERVAL: '60' } });
    expect(run.code, run.stderr).toBe(0);
    const [capture] = JSON.parse(run.stdout) as { loops: { loop: string; raw: unknown; batch: { entries: unknown[] } }[] }[];
    const entries = capture?.loops.find((l) => l.loop === 'entries');
    expect(entries?.raw).toBeDefined();
    expect(entries?.batch.entries.length).toBeGreaterThan(250);
    expect(entries?.batch.entries[0]).toMatchObject({ type: 'sgv', device: 'gluco-hub-simulator' });
    expect(existsSync(join(cwd, 'gluco-hub-data'))).toBe(false);
  });

  it('is readable on a terminal-style run and --out saves the capture', async () => {
    const cwd = tempDir();
    const run = await runCli(['capture', '--out', 'captures'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('loop entries');
    expect(run.stdout).toMatch(/became\s+\d+ entries/);
    expect(run.stdout).toContain('Nothing written');
    const saved = readdirSync(join(cwd, 'captures', 'simulator')).sort();
    expect(saved).toContain('entries.raw.json');
    expect(saved).toContain('entries.documents.json');
    expect(existsSync(join(cwd, 'gluco-hub-data'))).toBe(false);
  });

  it('--persist writes to the configured outputs', async () => {
    const cwd = tempDir();
    const run = await runCli(['capture', '--persist'], { cwd });
    expect(run.code, run.stderr).toBe(0);
    const dayFiles = readdirSync(join(cwd, 'gluco-hub-data', 'simulator', 'entries'));
    expect(dayFiles.length).toBeGreaterThan(0);
    const lines = dayFiles.flatMap((f) => readFileSync(join(cwd, 'gluco-hub-data', 'simulator', 'entries', f), 'utf8').trim().split('\n'));
    expect(lines.length).toBeGreaterThan(200);
  });
});
