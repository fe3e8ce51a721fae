import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './brokers.js';

/**
 * A private redis-server per test file: its own free port, nothing saved to disk, started and
 * killed by the test, never a shared one. Without the binary the suite is skipped with how to get
 * it, and fails under GLUCO_HUB_CI=1 (as `.ci/run` sets, and installs it).
 */

export const HAVE_REDIS = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
export const NO_REDIS = 'Redis tests skipped: install redis-server (Debian: apt-get install redis-server)';
if (!HAVE_REDIS && process.env.GLUCO_HUB_CI === '1') throw new Error(`GLUCO_HUB_CI=1 but ${NO_REDIS}`);

export interface TestRedis {
  url: string;
  port: number;
  /** A client of its own for the test to look and poke; closed by `close`. */
  client: Redis;
  /** Kills the server (SIGKILL: gone at once, like a crash) and keeps the port for `start`. */
  kill(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as a hung Redis. `resume` thaws it. */
  pause(): void;
  resume(): void;
  start(): Promise<void>;
  close(): Promise<void>;
}

async function waitForPing(port: number): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      probe.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`redis-server on port ${port} did not answer`);
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let server: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const s = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    server = s;
    // A test that failed before its close, or a worker that died, leaves no server behind.
    const killOnExit = (): void => void s.kill('SIGKILL');
    process.once('exit', killOnExit);
    s.once('exit', () => process.off('exit', killOnExit));
    await waitForPing(port);
  };
  const kill = async (): Promise<void> => {
    const s = server;
    if (!s || s.exitCode !== null || s.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      s.once('exit', () => resolve());
      s.kill('SIGKILL');
    });
  };
  await start();
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    client,
    kill,
    pause: () => void server?.kill('SIGSTOP'),
    resume: () => void server?.kill('SIGCONT'),
    start,
    async close() {
      client.disconnect();
      await kill();
    },
  };
}
