import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import aedes from 'aedes';

/**
 * Real MQTT brokers for the MQTT output's suites: a private Mosquitto (MQTT 5 and 3.1.1) the
 * helper starts on a free port, the broker at `MQTT_URL`, or in-process aedes (3.1.1 only).
 */

export interface TestBroker {
  url: string;
  /** Stops the broker (Mosquitto saves its retained messages first) and starts it again on the same port. */
  stop?(): Promise<void>;
  start?(): Promise<void>;
  close(): Promise<void>;
}

/** CI sets this so a missing broker fails the run instead of skipping the suites (`.ci/run`). */
/** `.ci/run` sets GLUCO_HUB_CI=1: there a missing broker fails the suite instead of skipping it. */
export const REQUIRE_BROKERS = process.env.GLUCO_HUB_CI === '1';

export const HOW_TO_RUN =
  'install Mosquitto (Debian: apt-get install mosquitto; it lands in /usr/sbin) or set MQTT_URL=mqtt://host:1883 to a broker (restart and auth tests need the local binary)';

function onPath(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

export const MOSQUITTO = onPath('mosquitto');
export const MOSQUITTO_PASSWD = onPath('mosquitto_passwd');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A loopback port held by a listening server, for tests of "port already in use"; `close` frees it. */
export async function occupiedPort(): Promise<{ port: number; close: () => void }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

export interface MosquittoOptions {
  /** user → password; anonymous clients are then refused. */
  users?: Record<string, string>;
}

/** A private Mosquitto 2.x: `listener <port> 127.0.0.1`, persistence in a temp dir (retained messages survive a restart). */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<TestBroker> {
  if (!MOSQUITTO) throw new Error(`no mosquitto binary: ${HOW_TO_RUN}`);
  const dir = mkdtempSync(join(tmpdir(), 'gluco-hub-mosquitto-'));
  const port = await freePort();
  const lines = [`listener ${port} 127.0.0.1`, 'persistence true', `persistence_location ${dir}/`, 'log_dest stderr'];
  // Started as root, Mosquitto drops to the `mosquitto` user, who cannot read our temp dir: stay who we are.
  lines.push(`user ${userInfo().username}`);
  if (options.users) {
    const file = join(dir, 'passwords');
    for (const [i, [user, password]] of Object.entries(options.users).entries()) {
      const result = spawnSync(MOSQUITTO_PASSWD ?? 'mosquitto_passwd', ['-b', ...(i === 0 ? ['-c'] : []), file, user, password]);
      if (result.status !== 0) throw new Error(`mosquitto_passwd failed: ${result.stderr.toString()}`);
    }
    lines.push('allow_anonymous false', `password_file ${file}`);
  } else {
    lines.push('allow_anonymous true');
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      proc.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (/running/.test(log)) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${log}`)));
    });
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    start,
    stop,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** In-process aedes 0.x on a free port; `stop` drops every connection and the listener, `start` listens again (retained state kept). */
export async function startAedes(): Promise<TestBroker> {
  const broker = aedes.createBroker();
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const start = async (): Promise<void> => {
    const s = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      broker.handle(socket);
    });
    server = s;
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    start,
    stop,
    close: async () => {
      await stop();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

/** The v5 suites' broker: `MQTT_URL`, else a private Mosquitto, else none (the caller skips, or fails under CI). */
export function v5BrokerChoice(): { kind: 'url'; url: string } | { kind: 'mosquitto' } | { kind: 'none'; message: string } {
  if (process.env.MQTT_URL) return { kind: 'url', url: process.env.MQTT_URL };
  if (MOSQUITTO) return { kind: 'mosquitto' };
  const message = `MQTT v5 broker tests skipped: ${HOW_TO_RUN}`;
  if (REQUIRE_BROKERS) throw new Error(`GLUCO_HUB_CI=1 but ${message}`);
  return { kind: 'none', message };
}
