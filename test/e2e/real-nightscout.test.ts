import { join } from 'node:path';
import axios from 'axios';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { syncIdentifier } from '../../lib/identity.js';
import { homeWithConnect, realNightscoutOrSkip, startRealNightscout, type RealNightscout } from '../fakes/real-nightscout.js';
import { foreverRuns, tempDir } from './cli.js';
import { installPacked } from './packed.js';
import { expectEveryReadingOnce, storedDocuments } from './readings.js';

/**
 * gluco-hub against the real Nightscout (cgm-remote-monitor 15.0.7, unmodified): a day of 15-second
 * simulator readings (5,760) into an empty site arrives whole, current first, across a SIGKILL;
 * the same through API v1; the follower source reads that site; a reading dated a month ahead in
 * the site silences nothing; and gluco-hub runs inside the real server as its nightscout-connect.
 */

const AVAILABLE = realNightscoutOrSkip('The real-Nightscout end-to-end suite');
const INTERVAL_S = 15;
const DAY_OF_READINGS = (24 * 3600) / INTERVAL_S;
const SEC = 1_000;

const { forever, stop } = foreverRuns();
const sites: RealNightscout[] = [];
afterEach(async () => {
  await Promise.all(sites.splice(0).map((s) => s.close()));
});

async function site(options: Parameters<typeof startRealNightscout>[0] = {}): Promise<RealNightscout> {
  const ns = await startRealNightscout(options);
  sites.push(ns);
  return ns;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
}

type Doc = Record<string, unknown>;
const simulatorCount = async (ns: RealNightscout): Promise<number> =>
  (await ns.get<{ count: number }[]>('/api/v1/count/entries/where?find[device]=gluco-hub-simulator&find[date][$gt]=0'))[0]?.count ?? 0;
const newestEntry = async (ns: RealNightscout): Promise<number> => ((await ns.get<Doc[]>(`/api/v1/entries.json?count=1&find[date][$lte]=${Date.now() + 60_000}`))[0]?.date as number | undefined) ?? 0;

/**
 * Single-document v3 POSTs per second this server takes right now (4 in flight, as gluco-hub
 * sends), measured on a collection gluco-hub does not write: the yardstick for the time limits.
 */
async function postRate(ns: RealNightscout, token: string): Promise<number> {
  const { data } = await axios.get<{ token: string }>(`${ns.url}/api/v2/authorization/request/${token}`);
  const headers = { authorization: `Bearer ${data.token}` };
  const n = 200;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      await axios.post(`${ns.url}/api/v3/food`, { date: Date.now() - i * 1000, app: 'rate-probe', device: 'rate-probe', utcOffset: 0, name: `probe ${i}` }, { headers });
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return n / ((performance.now() - started) / 1000);
}

/** Every simulator reading of the day once, 15 s apart, each with gluco-hub's identifier. */
function expectTheWholeDay(entries: Doc[]): void {
  const mine = entries.filter((e) => e.device === 'gluco-hub-simulator');
  const dates = mine.map((e) => e.date as number);
  expectEveryReadingOnce(dates, Math.min(...dates) - 1, INTERVAL_S * SEC, DAY_OF_READINGS);
  for (const e of mine) expect(e.identifier, `entry at ${String(e.date)} has no identifier`).toBe(syncIdentifier({ device: 'gluco-hub-simulator', date: e.date as number }));
}

const simulator = (extra: Record<string, string>) => ({ CONNECT_SIMULATOR_INTERVAL: String(INTERVAL_S), GLUCO_HUB__LOG__FORMAT: 'json', ...extra });

describe.skipIf(!AVAILABLE)('the real Nightscout', () => {
  it('API v3 with a token, a reading dated a month ahead already there: a day of 15-second readings arrives current at once, whole after a SIGKILL, each once; the follower source copies it', async () => {
    const ns = await site();
    const token = await ns.token('gluco-hub', 'admin');
    const rate = await postRate(ns, token);
    // Another uploader with a wrong clock got there first.
    const month = Date.now() + 30 * 24 * 3600 * SEC;
    expect(await ns.post('/api/v1/entries', [{ type: 'sgv', sgv: 111, date: month, dateString: new Date(month).toISOString(), device: 'wrong-clock-phone' }])).toBe(200);

    const cwd = tempDir();
    const env = simulator({ CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_NIGHTSCOUT_TOKEN: token });
    const first = forever(cwd, env);
    // Newest first: the site shows now within the first slices, long before its history is in.
    const current = await until('the site shows the current reading', async () => (await newestEntry(ns)) >= Date.now() - 2 * INTERVAL_S * SEC, 20 * SEC + (3 * 200 * SEC) / rate);
    expect(await simulatorCount(ns)).toBeLessThan(DAY_OF_READINGS / 2);
    await until('a third of the day is in', async () => (await simulatorCount(ns)) >= DAY_OF_READINGS / 3, (3 * DAY_OF_READINGS * SEC) / rate);
    first.child.kill('SIGKILL');
    await first.exit;

    const second = forever(cwd, env);
    // The whole day at a third of the measured pace at worst (the server slows as its collection grows).
    const took = await until('the whole day is in', async () => (await simulatorCount(ns)) >= DAY_OF_READINGS, (3 * DAY_OF_READINGS * SEC) / rate + 30 * SEC);
    expect(await stop(second)).toBe(0);
    expectTheWholeDay(await ns.entries());
    const text = first.output().stderr + second.output().stderr;
    expect(text).toMatch(/delivering a backlog: [\d,]+ of [\d,]+, ~\d+ (s|min) left/);
    expect(text).not.toMatch(/unavailable/);
    console.info(`real Nightscout v3: ${rate.toFixed(0)} POST/s measured; current after ${(current / 1000).toFixed(1)} s; whole day after the restart in ${(took / 1000).toFixed(0)} s`);

    const followerCwd = tempDir();
    const data = join(followerCwd, 'copy');
    const follower = forever(followerCwd, { GLUCO_HUB__LOG__FORMAT: 'json', CONNECT_SOURCE: 'nightscout', CONNECT_SOURCE_ENDPOINT: ns.url, CONNECT_SOURCE_TOKEN: token, GLUCO_HUB__FILESYSTEM__DIR: data });
    await until('the follower copied the day', () => Promise.resolve(storedDocuments(data, 'entries').length >= DAY_OF_READINGS), 180 * SEC);
    expect(await stop(follower)).toBe(0);
    const copied = storedDocuments<Doc>(data, 'entries');
    expectTheWholeDay(copied);
    // Not copied as today's reading: no output stores it before its time.
    expect(copied.some((e) => e.date === month)).toBe(false);
  }, 600_000);

  it('API v1 with the API secret: the same day, no reading twice by date, across a SIGKILL', async () => {
    const ns = await site();
    const cwd = tempDir();
    const env = simulator({ CONNECT_NIGHTSCOUT_ENDPOINT: ns.url, CONNECT_API_SECRET: ns.apiSecret });
    const first = forever(cwd, env);
    await until('some of the day is in', async () => (await simulatorCount(ns)) > 0, 60 * SEC);
    first.child.kill('SIGKILL');
    await first.exit;
    const second = forever(cwd, env);
    await until('the whole day is in', async () => (await simulatorCount(ns)) >= DAY_OF_READINGS, 240 * SEC);
    expect(await stop(second)).toBe(0);
    const entries = await ns.entries();
    const dates = entries.map((e) => e.date as number);
    expect(new Set(dates).size, 'a reading is stored twice').toBe(dates.length);
    expectTheWholeDay(entries);
  }, 600_000);

  describe('inside the real server', () => {
    let connectDir: string;
    beforeAll(() => {
      connectDir = join(installPacked('nightscout-connect'), 'node_modules', 'nightscout-connect');
    }, 180_000);

    it('runs as nightscout-connect (ENABLE=connect, CONNECT_* settings): readings appear in the site, and the server stops cleanly', async () => {
      const state = tempDir('gh-real-ns-plugin-state-');
      const ns = await site({
        home: homeWithConnect(connectDir),
        enable: 'careportal api connect',
        extraEnv: { CONNECT_SOURCE: 'simulator', CONNECT_SIMULATOR_INTERVAL: String(INTERVAL_S), GLUCO_HUB__STATE_DIR: state },
      });
      await until('the plugin back-filled the day', async () => (await simulatorCount(ns)) >= DAY_OF_READINGS, 240 * SEC);
      expectTheWholeDay(await ns.entries());
      const stopped = await ns.close();
      expect(stopped).toMatch(/stopped lib\/server\/server\.js/);
      expect(stopped).not.toMatch(/SIGKILL/);
      const log = ns.log();
      expect(log).toMatch(/gluco-hub/);
      expect(log).not.toMatch(/TypeError|unhandled/i);
    }, 600_000);
  });
});
