import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, tempDir } from './cli.js';

interface Closed {
  code: number | null;
  stderr: string;
  stdoutBytes: number;
}

/**
 * Runs the real CLI with stdout read by a reader that goes away: after its first chunk, like
 * `| head -1`, or before anything is written (`when: 'at-once'`).
 */
function withStdoutClosed(args: string[], when: 'first-chunk' | 'at-once', env: Record<string, string> = {}): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tempDir(), env: cleanEnv(env) });
    let stderr = '';
    let stdoutBytes = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (when === 'at-once') child.stdout.destroy();
    else {
      child.stdout.once('data', (d: Buffer) => {
        stdoutBytes = d.length;
        child.stdout.destroy();
      });
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gluco-hub ${args.join(' ')} did not end after its stdout closed\n${stderr}`));
    }, 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdoutBytes });
    });
  });
}

describe('a closed stdout ends the command quietly (exit 141, like a tool stopped by SIGPIPE)', () => {
  it('capture --json | head -1', async () => {
    const run = await withStdoutClosed(['capture', '--json'], 'first-chunk', { CONNECT_SIMULATOR_INTERVAL: '60' });
    expect(run.stdoutBytes).toBeGreaterThan(0);
    expect(run.stderr).not.toContain('EPIPE');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code, run.stderr).toBe(141);
  });

  it('check-config with nobody reading', async () => {
    const run = await withStdoutClosed(['check-config'], 'at-once');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(141);
  });

  it('dlq list --json with nobody reading', async () => {
    const run = await withStdoutClosed(['dlq', 'list', '--json'], 'at-once');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(141);
  });

  it('a closed stderr under an error line ends the same way, not with a crash', async () => {
    const child = spawn(process.execPath, [BIN, 'check-config'], { cwd: tempDir(), env: cleanEnv({ CONNECT_SOURCE: 'freestyle' }) });
    child.stderr.destroy();
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stdout).toBe('');
    expect(code).toBe(141);
  });
});
