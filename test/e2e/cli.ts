import { afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'dist', 'commands', 'bin.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A clean environment: nothing from the developer's shell leaks into what the test configures.
 * The HTTP API is off unless a test turns it on, so suites running `forever` in parallel never
 * fight over port 8080 (test/e2e/http.test.ts binds free ports).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, GLUCO_HUB__HTTP__ENABLED: 'false', ...extra };
}

export function tempDir(prefix = 'gh-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Where the CLI runs from: this checkout's dist/, or `command`, e.g. `[<prefix>/bin/gluco-hub]` as
 * installed from the tarball (test/e2e/packed.ts) or `[node, <entrypoint>]` as the container image runs it.
 */
export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  command?: readonly string[];
}

function spawnCli(args: string[], opts: CliOptions): ChildProcess & { stdout: Readable; stderr: Readable } {
  const env = cleanEnv(opts.env);
  const [exe, ...pre] = opts.command ?? [process.execPath, BIN];
  return spawn(exe!, [...pre, ...args], { cwd: opts.cwd, env });
}

/** Runs the real CLI to completion. */
export function runCli(args: string[], opts: CliOptions & { timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, opts);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gluco-hub ${args.join(' ')} did not finish in time\n${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Running {
  child: ChildProcess;
  output: () => { stdout: string; stderr: string };
  /** Resolves when the predicate holds on the output so far (checked on every chunk). */
  until: (pred: (out: { stdout: string; stderr: string }) => boolean, timeoutMs?: number) => Promise<void>;
  exit: Promise<number | null>;
}

/** Starts the real CLI and keeps it running, for `forever`. */
export function startCli(args: string[], opts: CliOptions): Running {
  const child = spawnCli(args, opts);
  const out = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const onData = (): void => waiters.forEach((w) => w());
  child.stdout.on('data', (d: Buffer) => {
    out.stdout += d.toString();
    onData();
  });
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
    onData();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const until: Running['until'] = (pred, timeoutMs = 15_000) =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred(out)) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`condition not met in time; stderr so far:\n${out.stderr}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { child, output: () => out, until, exit };
}

/**
 * `forever` runs for one test file: `forever(cwd, env)` starts one, `stop(run)` sends SIGTERM and
 * waits; whatever a failed test left running is killed after it. Call at the top level.
 */
export function foreverRuns(): { forever: (cwd: string, env: Record<string, string>) => Running; stop: (run: Running) => Promise<number | null> } {
  let children: Running[] = [];
  afterEach(() => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    children = [];
  });
  return {
    forever(cwd, env) {
      const run = startCli(['forever'], { cwd, env });
      children.push(run);
      return run;
    },
    stop(run) {
      run.child.kill('SIGTERM');
      return run.exit;
    },
  };
}
