import { describe, expect, it } from 'vitest';
import type { FakeNightscout } from '../fakes/nightscout-server.js';
import { fakeSites } from '../fakes/nightscout-sites.js';
import { runCli, startCli, tempDir } from './cli.js';

/**
 * Following one Nightscout into another, with the real CLI: site A (read with a token, API v3)
 * is copied into site B (written with the API secret, API v1, which never deduplicates
 * devicestatus), twice; B holds every document once.
 */

const SECRET = 'fake-nightscout-secret';
const MINUTE = 60_000;

interface LogLine {
  msg: string;
  loop?: string;
  outcome?: string;
}

function successes(stderr: string): Set<string> {
  const loops = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.outcome === 'success' && l.loop)
    .map((l) => l.loop as string);
  return new Set(loops);
}

const site = fakeSites({ apiSecret: SECRET });

/** Two hours of a CGM uploader, a few treatments (one written over v1, without `date`) and pump statuses. */
function seedSource(ns: FakeNightscout, now: number): { entries: number; treatments: number; devicestatus: number } {
  const newest = now - (now % (5 * MINUTE)) - 5 * MINUTE;
  for (let i = 0; i < 24; i += 1) {
    const date = newest - i * 5 * MINUTE;
    ns.seed('entries', { type: 'sgv', sgv: 100 + i, direction: 'Flat', date, dateString: new Date(date).toISOString(), device: 'xDrip-DexcomG6', sysTime: new Date(date).toISOString(), utcOffset: 60 });
  }
  const t1 = newest - 40 * MINUTE;
  ns.seed('treatments', { eventType: 'Meal Bolus', insulin: 4.5, carbs: 40, created_at: new Date(t1).toISOString(), enteredBy: 'xdrip' });
  ns.seed('treatments', { eventType: 'Correction Bolus', insulin: 1, date: t1 + 30 * MINUTE, created_at: new Date(t1 + 30 * MINUTE).toISOString(), device: 'AndroidAPS', app: 'AAPS', utcOffset: 60, identifier: '5b0f7124-475f-5db0-824c-a73c5eea0975' });
  for (let i = 0; i < 3; i += 1) {
    const at = newest - i * 15 * MINUTE;
    ns.seed('devicestatus', { device: 'openaps://phone', created_at: new Date(at).toISOString(), uploaderBattery: 80 - i, pump: { reservoir: 100 - i } });
  }
  return { entries: 24, treatments: 2, devicestatus: 3 };
}

function identitiesOf(ns: FakeNightscout, collection: 'entries' | 'treatments' | 'devicestatus'): string[] {
  return ns.docs(collection).map((d) => `${String(d.device)}|${String(d.created_at ?? d.date)}|${JSON.stringify(d.eventType ?? '')}`);
}

describe('the Nightscout source', () => {
  it('copies entries, treatments and devicestatus into another site once, across a restart', async () => {
    const source = await site({ roles: { reader: ['api:*:read'] }, subjects: { follower: ['reader'] } });
    const target = await site();
    const expected = seedSource(source, Date.now());
    const env = {
      CONNECT_SOURCE: 'nightscout',
      CONNECT_SOURCE_ENDPOINT: `${source.url}/?token=${source.token('follower')}`,
      CONNECT_NIGHTSCOUT_ENDPOINT: target.url,
      CONNECT_API_SECRET: SECRET,
    };
    const cwd = tempDir();
    for (let run = 0; run < 2; run += 1) {
      const bridge = startCli(['forever'], { cwd, env });
      await bridge.until((o) => ['entries', 'treatments', 'devicestatus'].every((l) => successes(o.stderr).has(l)), 30_000);
      bridge.child.kill('SIGTERM');
      expect(await bridge.exit, bridge.output().stderr).toBe(0);
      expect(bridge.output().stderr).not.toContain(source.token('follower'));
    }
    for (const collection of ['entries', 'treatments', 'devicestatus'] as const) {
      const ids = identitiesOf(target, collection);
      expect(ids, collection).toHaveLength(expected[collection]);
      expect(new Set(ids).size, collection).toBe(ids.length);
    }
    expect(source.requests.some((r) => r.path.startsWith('/api/v3/entries') && r.auth === 'jwt')).toBe(true);
    const kept = target.docs('treatments').find((d) => d.eventType === 'Correction Bolus');
    expect(kept?.identifier).toBe('5b0f7124-475f-5db0-824c-a73c5eea0975');
    for (const doc of target.docs('entries')) expect(doc).toMatchObject({ device: 'xDrip-DexcomG6', type: 'sgv' });
  }, 90_000);

  it('capture shows what the source site returned and writes nothing', async () => {
    const source = await site({ roles: { reader: ['api:*:read'] }, subjects: { follower: ['reader'] } });
    seedSource(source, Date.now());
    const run = await runCli(['capture', '--json'], {
      cwd: tempDir(),
      env: { CONNECT_SOURCE: 'nightscout', CONNECT_SOURCE_ENDPOINT: source.url, CONNECT_SOURCE_TOKEN: source.token('follower') },
      timeoutMs: 20_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('xDrip-DexcomG6');
    expect(run.stdout + run.stderr).not.toContain(source.token('follower'));
  }, 30_000);
});
