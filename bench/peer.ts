/**
 * `peer`: gluco-hub next to the bridge it replaces, nightscout-connect 0.0.12 (from npm, into a
 * cache folder), in one run: each bridges the same fake LibreLink Up (HTTPS, one front door per
 * bridge so its requests are counted apart) into its own fake Nightscout (API v1 only, API_SECRET),
 * for 100 s (`--seconds N`), with a bare `node -e setInterval` process alongside as the baseline.
 * gluco-hub runs twice: with its HTTP API on (the default) and with only the Nightscout output.
 * Then the plugin half (bench/peer-plugin.ts) unless `--no-plugin`. Prints the tables in markdown,
 * ready for docs/performance.md, and writes bench/results/peer.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../test/e2e/cli.js';
import { freePort } from '../test/fakes/brokers.js';
import { startFakeLibreLinkUp, type FakeLibreLinkUp } from '../test/fakes/llu-server.js';
import { startFakeNightscout, type FakeNightscout } from '../test/fakes/nightscout-server.js';
import { startLluFront, type LluFront } from './llu-front.js';
import { buildCli } from './memory.js';
import { peerBin, PEER_VERSION, selfSigned } from './peer-install.js';
import { pluginMode } from './peer-plugin.js';
import { markdownTable, peerRows, peerVerdicts, verdictTable, type BridgeKey, type Measured } from './peer-table.js';
import { cpuMs, rssBytes, sleep } from './proc.js';
import { mb, numberFlag, publish } from './report.js';

const API_SECRET = 'bench-api-secret-0123';
const SAMPLE_MS = 2_000;
const SEED_DEVICE = 'bench-seed';
/**
 * Both sites start with one reading this old: nightscout-connect 0.0.12 keeps only LibreLink Up
 * points newer than the site's newest entry and drops everything on an empty site.
 */
const SEED_AGE_MS = 3 * 60 * 60_000;

interface Bridge {
  key: BridgeKey;
  name: string;
  child: ChildProcess;
  front?: LluFront;
  nightscout?: FakeNightscout;
  log: string;
  rss: number[];
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

function keepTail(bridge: Bridge): void {
  const onData = (chunk: Buffer): void => {
    bridge.log = (bridge.log + chunk.toString()).slice(-4_000);
  };
  bridge.child.stdout?.on('data', onData);
  bridge.child.stderr?.on('data', onData);
}

function seedEntry(): Record<string, unknown> {
  const date = Date.now() - SEED_AGE_MS;
  return { type: 'sgv', sgv: 120, direction: 'Flat', date, dateString: new Date(date).toISOString(), device: SEED_DEVICE };
}

async function seededNightscout(): Promise<FakeNightscout> {
  const nightscout = await startFakeNightscout({ apiSecret: API_SECRET, v3: false });
  nightscout.seed('entries', seedEntry());
  return nightscout;
}

function measure(bridge: Bridge, endedAt: number): Measured {
  const delivered = (bridge.nightscout?.docs('entries') ?? []).filter((d) => d.device !== SEED_DEVICE);
  const newest = Math.max(...delivered.map((d) => Number(d.date)).filter(Number.isFinite));
  return {
    key: bridge.key,
    bridge: bridge.name,
    rssMb: mb(bridge.rss.at(-1) ?? 0),
    peakMb: mb(Math.max(...bridge.rss)),
    ...(bridge.key === 'bare'
      ? {}
      : {
          cpuS: (cpuMs(bridge.child.pid!) ?? Number.NaN) / 1000,
          vendorRequests: bridge.front?.requests() ?? 0,
          entries: delivered.length,
          ...(Number.isFinite(newest) ? { newestAgeMin: (endedAt - newest) / 60_000 } : {}),
        }),
  };
}

async function stopAll(bridges: readonly Bridge[]): Promise<void> {
  for (const b of bridges) b.child.kill('SIGTERM');
  await Promise.all(bridges.map((b) => exited(b.child)));
}

export async function peerBenchmark(args: readonly string[]): Promise<void> {
  const seconds = numberFlag(args, 'seconds', 100);
  buildCli();
  const peerScript = peerBin();
  const tls = selfSigned();
  const cwd = mkdtempSync(join(tmpdir(), 'gh-bench-peer-'));
  // 4.7.0 is what 0.0.12 sends; the fake's default minimum is today's 4.16.0.
  const llu: FakeLibreLinkUp = await startFakeLibreLinkUp({ minVersion: '4.7.0' });
  const common = { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: tls.certFile, CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: llu.scenario.email, CONNECT_LINK_UP_PASSWORD: llu.scenario.password, CONNECT_API_SECRET: API_SECRET };
  const bridges: Bridge[] = [];
  const start = async (key: BridgeKey, name: string, spawnIt: (front: LluFront, nightscout: FakeNightscout, home: string) => ChildProcess): Promise<void> => {
    const front = await startLluFront(llu, tls);
    const nightscout = await seededNightscout();
    const home = join(cwd, key);
    mkdirSync(join(home, 'har'), { recursive: true });
    const bridge: Bridge = { key, name, child: spawnIt(front, nightscout, home), front, nightscout, log: '', rss: [] };
    keepTail(bridge);
    bridges.push(bridge);
  };
  const hubEnv = (front: LluFront, nightscout: FakeNightscout, home: string): Record<string, string> => ({
    ...common,
    HOME: home,
    CONNECT_LINK_UP_SERVER: front.url,
    CONNECT_NIGHTSCOUT_ENDPOINT: nightscout.url,
    GLUCO_HUB__STATE_DIR: join(home, 'state'),
    GLUCO_HUB__LOG__FORMAT: 'json',
  });
  const httpPort = await freePort();
  try {
    // `capture` is 0.0.12's only command that runs a LibreLink Up bridge for good (`forever`
    // passes the source no credentials and stops after 5 minutes); its frame files go to har/.
    await start('peer', `nightscout-connect ${PEER_VERSION}`, (front, nightscout, home) =>
      spawn(process.execPath, [peerScript, 'capture', join(home, 'har')], {
        cwd: home,
        env: { ...common, HOME: home, CONNECT_LINK_UP_SERVER: front.hostPort, CONNECT_NIGHTSCOUT_ENDPOINT: nightscout.url },
      }),
    );
    await start('hubHttp', 'gluco-hub (HTTP API on)', (front, nightscout, home) =>
      spawn(process.execPath, [BIN, 'forever'], { cwd: home, env: { ...hubEnv(front, nightscout, home), GLUCO_HUB__HTTP__BIND: `127.0.0.1:${httpPort}` } }),
    );
    await start('hubNightscoutOnly', 'gluco-hub (Nightscout output only)', (front, nightscout, home) =>
      spawn(process.execPath, [BIN, 'forever'], { cwd: home, env: { ...hubEnv(front, nightscout, home), GLUCO_HUB__HTTP__ENABLED: 'false' } }),
    );
    bridges.push({ key: 'bare', name: 'bare `node -e setInterval`', child: spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }), log: '', rss: [] });

    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      await sleep(Math.min(SAMPLE_MS, Math.max(0, started + seconds * 1000 - Date.now())));
      for (const b of bridges) {
        if (b.child.exitCode !== null) throw new Error(`${b.name} exited (${b.child.exitCode}):\n${b.log}`);
        b.rss.push(rssBytes(b.child.pid!) ?? 0);
      }
    }
    const endedAt = Date.now();
    const measured = bridges.map((b) => measure(b, endedAt));
    await stopAll(bridges);
    // After the standalone bridges, so four Nightscout servers do not crowd their numbers.
    const plugin = args.includes('--no-plugin') ? undefined : await pluginMode(llu, tls, seconds, seedEntry());
    const rows = peerRows(measured, seconds);
    const verdicts = peerVerdicts(measured);
    const cpu = cpus()[0]?.model ?? 'unknown';
    const heading = `${seconds} s, ${new Date(started).toISOString().slice(0, 10)}, ${cpus().length} × ${cpu}, Node ${process.version}`;
    const markdown = [heading, markdownTable(rows), verdictTable(verdicts), ...(plugin ? [markdownTable(plugin.rows)] : [])].join('\n\n');
    publish({
      benchmark: 'peer',
      targets: Object.fromEntries(verdicts.map((v) => [v.target, `${v.measured}: ${v.met ? 'met' : 'MISSED'}`])),
      rows,
      details: { seconds, sampleMs: SAMPLE_MS, seedAgeMinutes: SEED_AGE_MS / 60_000, measured, plugin, markdown },
    });
    console.log(`\n${markdown}`);
  } finally {
    await stopAll(bridges);
    for (const b of bridges) {
      await b.front?.close();
      await b.nightscout?.close();
    }
    await llu.close();
    rmSync(cwd, { recursive: true, force: true });
  }
}
