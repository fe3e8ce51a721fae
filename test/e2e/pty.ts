import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { BIN, cleanEnv, ROOT } from './cli.js';

const PTY_RUN = join(ROOT, 'test', 'e2e', 'pty-run.py');

/**
 * The text a person reads: colours and cursor moves out, and of a line rewritten in place (`\r`)
 * only what was written last.
 */
export function plain(screen: string): string {
  // eslint-disable-next-line no-control-regex
  const text = screen.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r\n/g, '\n');
  return text
    .split('\n')
    .map((line) => line.slice(line.lastIndexOf('\r') + 1))
    .join('\n');
}

export interface PtyRun {
  /** Everything the terminal showed so far, as plain text. */
  screen: () => string;
  /** The same with every control sequence, as the terminal received it. */
  raw: () => string;
  until: (pred: (screen: string) => boolean, timeoutMs?: number) => Promise<void>;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  interrupt: () => Promise<number | null>;
  exit: Promise<number | null>;
}

/**
 * The built CLI under a pseudo-terminal (python3's `pty`), so it believes a person is watching:
 * stdout and stderr are the terminal. What started is killed after each test.
 */
export function ptyRuns(): (args: string[], opts: { cwd: string; env?: Record<string, string> }) => PtyRun {
  const kills: (() => void)[] = [];
  afterEach(() => {
    for (const kill of kills.splice(0)) kill();
  });
  return (args, opts) => {
    const child = spawn('python3', [PTY_RUN, process.execPath, BIN, ...args], { cwd: opts.cwd, env: cleanEnv(opts.env) });
    let raw = '';
    const waiters = new Set<() => void>();
    child.stdout.on('data', (d: Buffer) => {
      raw += d.toString();
      waiters.forEach((w) => w());
    });
    child.stderr.on('data', (d: Buffer) => (raw += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    kills.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const screen = (): string => plain(raw);
    return {
      screen,
      raw: () => raw,
      exit,
      until: (pred, timeoutMs = 20_000) =>
        new Promise((resolve, reject) => {
          const check = (): void => {
            if (!pred(screen())) return;
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`the terminal never showed what was expected; it showed:\n${screen()}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        }),
      interrupt: () => {
        child.kill('SIGINT');
        return exit;
      },
    };
  };
}
