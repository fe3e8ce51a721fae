import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../lib/config/schema.js';
import { Hub } from '../../app/hub.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import { personSlugs } from '../../app/followed-people.js';
import { tempDir } from '../e2e/cli.js';
import { captureLog } from '../fakes/capture-log.js';
import { call } from '../fakes/http-call.js';
import { fakePatient, startFakeLibreLinkUp, type FakeLibreLinkUp } from '../fakes/llu-server.js';
import mqtt from 'mqtt';
import { startAedes, type TestBroker } from '../fakes/brokers.js';
import { fakeSites } from '../fakes/nightscout-sites.js';

const site = fakeSites({ apiSecret: 'follow-test-secret', roles: { uploader: ['api:*:create', 'api:*:update', 'api:*:read'] }, subjects: { 'gluco-hub': ['uploader'] } });

let llu: FakeLibreLinkUp | undefined;
let hub: Hub | undefined;
let broker: TestBroker | undefined;
afterEach(async () => {
  await hub?.stop();
  await llu?.close();
  await broker?.close();
  hub = llu = broker = undefined;
});

/** The retained messages under `filter`, topic → payload, as a new subscriber gets them. */
async function retained(url: string, filter: string): Promise<Map<string, Record<string, unknown>>> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4 });
  const seen = new Map<string, Record<string, unknown>>();
  const marker = `test-marker/${Math.random()}`;
  // The broker hands a subscriber the retained messages before anything published after the
  // subscription: once our own marker arrives, every retained message has.
  const all = new Promise<void>((resolve) => {
    client.on('message', (topic, payload, packet) => {
      if (topic === marker) resolve();
      else if (packet.retain && payload.length > 0) seen.set(topic, JSON.parse(payload.toString()) as Record<string, unknown>);
    });
  });
  await client.subscribeAsync([filter, marker], { qos: 1 });
  await client.publishAsync(marker, 'x', { qos: 1 });
  await all;
  await client.endAsync();
  return seen;
}

const anna = fakePatient({ firstName: 'Anna', lastName: 'Smith', seed: 2 });
const ben = fakePatient({ firstName: 'Ben', lastName: 'Smith', seed: 3 });
const carl = fakePatient({ firstName: 'Carl', lastName: 'Smith', seed: 4 });
const slug = (id: string): string => personSlugs([id]).get(id)!;
const bridgeOf = (p: { patientId: string }): string => `kids-${slug(p.patientId)}`;
/** Between the account's connections calls: short, so people come and go within the test. */
const FOLLOW_MS = 400;
const TOKEN = 'status-token';

describe('a LibreLink Up account that follows several people, in one hub', () => {
  it('logs in once for everyone, reads one graph per person per poll, and picks people up and retires them as the account changes (2 → 3 → 2)', async () => {
    llu = await startFakeLibreLinkUp({ patients: [anna, ben] });
    broker = await startAedes();
    const [annaSite, benSite] = [await site(), await site()];
    const cwd = tempDir('gh-follow-');
    const config = configSchema.parse({
      stateDir: join(cwd, 'state'),
      vendorBudget: { requestsPerSecond: 50, concurrency: 4 },
      http: { bind: '127.0.0.1:0', bearerToken: TOKEN },
      bridges: [
        {
          id: 'kids',
          source: { kind: 'linkup', username: llu.scenario.email, password: llu.scenario.password, server: llu.url, patientId: 'all' },
          filesystem: { dir: join(cwd, 'data') },
          mqtt: { url: broker.url, protocolVersion: 4, topicPrefix: 'home', discovery: true },
          // Anna by patient id, Ben by name; Carl, who comes later, has no site.
          people: {
            [anna.patientId]: { nightscout: { endpoint: annaSite.url, token: annaSite.token('gluco-hub') } },
            'ben smith': { nightscout: { endpoint: benSite.url, token: benSite.token('gluco-hub') } },
          },
        },
      ],
    });
    const captured = captureLog();
    const { log } = captured;
    const lines = (): Record<string, unknown>[] => captured.lines();
    const done: Extract<BridgeEvent, { type: 'frame.done' }>[] = [];
    hub = new Hub({
      log,
      followIntervalMs: FOLLOW_MS,
      // As `forever` runs: each person's last 24 h kept in their state folder.
      keepRecent: true,
      observe: (e) => e.type === 'frame.done' && done.push(e),
      http: { config: config.http, version: '0.0.0-test', gitSha: 'test', units: 'mg/dL' },
    });
    const succeeded = (): string[] => [...new Set(done.filter((e) => e.result.outcome === 'success').map((e) => e.bridgeId))].sort();
    const graphsFor = (p: { patientId: string }): number => llu!.requests.filter((r) => r.path === `/llu/connections/${p.patientId}/graph`).length;
    const framesOf = (p: { patientId: string }): number => done.filter((e) => e.bridgeId === bridgeOf(p)).length;
    const info = (pattern: RegExp): Record<string, unknown>[] => lines().filter((l) => l.level === 30 && pattern.test(String(l.msg)));
    const rows = async (): Promise<string[]> => {
      const reply = await call(`${hub!.httpUrl()}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return ((reply.json() as { bridges: { id: string }[] }).bridges.map((b) => b.id)).sort();
    };

    await hub.start(config);

    // Two people: one login, one session, a bridge each.
    await vi.waitFor(() => expect(succeeded()).toEqual([bridgeOf(anna), bridgeOf(ben)].sort()), { timeout: 10_000, interval: 50 });
    expect(llu.counters.logins).toBe(1);
    expect(llu.issuedTokens).toHaveLength(1);
    expect(info(/^following Anna Smith as bridge kids-[0-9a-f]{8}$/)).toHaveLength(1);
    expect(info(/^following Ben Smith as bridge/)).toHaveLength(1);
    expect(await rows()).toEqual([bridgeOf(anna), bridgeOf(ben)].sort());
    // Each person's glucose in their own Nightscout, and only theirs.
    for (const [p, ns] of [[anna, annaSite], [ben, benSite]] as const) {
      await vi.waitFor(() => expect(ns.count('entries')).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
      const served = new Map(llu.served.filter((r) => r.patientId === p.patientId).map((r) => [r.at, r.mgdl]));
      for (const e of ns.docs('entries')) expect(e.sgv, `entry at ${String(e.date)}`).toBe(served.get(e.date as number));
    }
    // The two traces differ, so a reading in the wrong site would show.
    const benTrace = new Map(llu.served.filter((r) => r.patientId === ben.patientId).map((r) => [r.at, r.mgdl]));
    expect(annaSite.docs('entries').some((e) => benTrace.get(e.date as number) !== e.sgv)).toBe(true);
    // Each person's newest reading on their own topic, naming them, and their own Home Assistant device.
    await vi.waitFor(async () => {
      const messages = await retained(broker!.url, '#');
      for (const p of [anna, ben]) {
        expect(messages.get(`home/${slug(p.patientId)}/glucose`)).toMatchObject({ bridge: bridgeOf(p), patient: `${p.firstName} ${p.lastName}` });
        const configs = [...messages.entries()].filter(([topic]) => topic.startsWith('homeassistant/')).map(([, body]) => body);
        expect(configs.some((c) => (c.device as { name?: string } | undefined)?.name === `gluco-hub ${bridgeOf(p)}`)).toBe(true);
      }
    }, { timeout: 10_000, interval: 300 });

    // A third person appears: picked up at the next connections call, still on the same login.
    const connectionsAt = (): number[] => llu!.requests.filter((r) => r.path === '/llu/connections').map((r) => r.at);
    const addedAt = Date.now();
    llu.set({ patients: [anna, ben, carl] });
    await vi.waitFor(() => expect(succeeded()).toContain(bridgeOf(carl)), { timeout: 10_000, interval: 50 });
    expect(info(/^following Carl Smith as bridge/)).toHaveLength(1);
    expect(lines().filter((l) => l.level === 40 && /^\[LLU029\] no Nightscout site for Carl Smith/.test(String(l.msg)))).toHaveLength(1);
    const [firstAfter, secondAfter] = connectionsAt().filter((at) => at >= addedAt);
    const pickedUp = Number(info(/^following Carl Smith/)[0]?.time);
    expect(pickedUp).toBeGreaterThanOrEqual(firstAfter!);
    if (secondAfter !== undefined) expect(pickedUp).toBeLessThan(secondAfter);
    expect(await rows()).toEqual([bridgeOf(anna), bridgeOf(ben), bridgeOf(carl)].sort());

    // One is removed mid-run: retired within a poll, the others go on; nothing of theirs is deleted.
    llu.set({ patients: [anna, carl] });
    await vi.waitFor(() => expect(info(/retiring bridge/)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(info(/retiring bridge/)[0]).toMatchObject({ personBridge: bridgeOf(ben), patientId: ben.patientId });
    const benGraphs = graphsFor(ben);
    const seenConnections = connectionsAt().length;
    await vi.waitFor(() => expect(connectionsAt().length).toBeGreaterThanOrEqual(seenConnections + 2), { timeout: 10_000, interval: 50 });
    expect(graphsFor(ben)).toBe(benGraphs);
    expect(await rows()).toEqual([bridgeOf(anna), bridgeOf(carl)].sort());
    expect(readdirSync(join(cwd, 'data', slug(ben.patientId), 'entries')).length).toBeGreaterThan(0);

    // The cost: one login and one ticket all along; each person's graph once per frame of theirs;
    // nothing but the account's connections calls besides, never closer together than one poll.
    expect(llu.counters.logins).toBe(1);
    expect(llu.issuedTokens).toHaveLength(1);
    for (const p of [anna, ben, carl]) expect(graphsFor(p)).toBe(framesOf(p));
    const connections = connectionsAt();
    expect(connections.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < connections.length; i++) expect(connections[i]! - connections[i - 1]!).toBeGreaterThanOrEqual(FOLLOW_MS - 50);
    const other = llu.requests.filter((r) => r.path !== '/llu/auth/login' && r.path !== '/llu/connections' && !r.path.endsWith('/graph'));
    expect(other).toEqual([]);

    // Each person's readings went to their own folder, and only theirs.
    for (const p of [anna, ben, carl]) expect(existsSync(join(cwd, 'data', slug(p.patientId), 'entries'))).toBe(true);
    expect(readdirSync(join(cwd, 'data')).sort()).toEqual([anna, ben, carl].map((p) => slug(p.patientId)).sort());
    expect(info(/^logged in to LibreLink Up$/)).toHaveLength(1);
    await hub.stop();
    expect(existsSync(join(cwd, 'state', bridgeOf(anna), 'recent-readings.jsonl'))).toBe(true);
  });

  it('refuses an account whose settings are wrong before any bridge starts (LLU001), with no request made', async () => {
    llu = await startFakeLibreLinkUp({ patients: [anna] });
    const cwd = tempDir('gh-follow-bad-');
    const config = configSchema.parse({
      stateDir: join(cwd, 'state'),
      http: { enabled: false },
      bridges: [
        { id: 'sim', source: { kind: 'simulator', intervalSeconds: 1 }, filesystem: { dir: join(cwd, 'sim') } },
        { id: 'kids', source: { kind: 'linkup', username: 'u@example.test', password: 'pw', region: 'atlantis', patients: 'all' }, filesystem: { dir: join(cwd, 'data') } },
      ],
    });
    const done: BridgeEvent[] = [];
    hub = new Hub({ log: captureLog().log, observe: (e) => done.push(e) });
    await expect(hub.start(config)).rejects.toThrow(/^\[LLU001\] unknown LibreLink Up region "atlantis"/);
    expect(done).toEqual([]);
    expect(existsSync(join(cwd, 'sim'))).toBe(false);
    expect(llu.requests).toEqual([]);
  });
});
