import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify, RateLimitError } from '../../lib/errors.js';
import type { GlookoSession } from '../../sources/glooko/index.js';
import { CURSOR_SLACK_MS } from '../../sources/glooko/loops.js';
import { ZERO_GUID } from '../../sources/glooko/paging.js';
import { CODE, COOKIE, COOKIE_VALUE, establish, fixture, harness, NOW, rejection, signal, US, type Harness } from '../fixtures/glooko/harness.js';

/** The CGM and treatments loops against nock: paging, cursors, fallback, back-off. */

const HOUR = 3_600_000;
const EGVS = '/api/v2/cgm/egvs';
const GRAPH = '/api/v3/graph/data';
const WINDOW = { fromMs: NOW - 2 * HOUR, toMs: NOW };
const FEEDS = [
  ['/api/v2/pumps/normal_boluses', 'normalBoluses'],
  ['/api/v2/pumps/extended_boluses', 'extendedBoluses'],
  ['/api/v2/pumps/injection_boluses', 'injectionBoluses'],
  ['/api/v2/pumps/scheduled_basals', 'scheduledBasals'],
  ['/api/v2/pumps/temporary_basals', 'temporaryBasals'],
  ['/api/v2/pumps/suspend_basals', 'suspendBasals'],
  ['/api/v2/foods', 'foods'],
  ['/api/v2/cgm/carbs_events', 'carbsEvents'],
  ['/api/v2/pumps/events', 'events'],
] as const;

async function signedIn(patch: Parameters<typeof harness>[0] = {}): Promise<{ h: Harness; session: GlookoSession }> {
  const h = harness(patch);
  nock(US).post('/api/v2/users/sign_in').reply(200, fixture('sign-in'), { 'set-cookie': COOKIE }).get('/api/v3/session/users').reply(200, fixture('session-users'));
  return { h, session: await establish(h.driver) };
}

const loop = (h: Harness, name: string) => h.driver.loops.find((l) => l.name === name)!;
const page = (key: string, rows: unknown[], extra: Record<string, unknown> = {}) => ({ [key]: rows, lastPage: true, ...extra });
const egv = (guid: string, displayTime: string, glucoseValue = 12000) => ({ guid, displayTime, glucoseValue, trendArrow: 'Flat', calculated: false, softDeleted: false });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('Glooko CGM loop', () => {
  it('asks from the outputs’ newest reading (minus the slack) with the cookie, and yields the fixture’s entries', async () => {
    const { h, session } = await signedIn();
    const queries: Record<string, string>[] = [];
    const scope = nock(US)
      .get(EGVS)
      .query((q) => (queries.push(q as Record<string, string>), true))
      .matchHeader('cookie', `_logbook-web_session=${COOKIE_VALUE}`)
      .reply(200, fixture('egvs'));
    const raw = await loop(h, 'entries').fetch(session, WINDOW, signal());
    scope.done();
    const from = WINDOW.fromMs - CURSOR_SLACK_MS;
    expect(queries[0]).toEqual({
      patient: CODE,
      lastUpdatedAt: new Date(from).toISOString(),
      lastGuid: ZERO_GUID,
      limit: '500',
      sendSoftDeleted: 'false',
      allDevicesFlag: 'true',
      // The same instant on Berlin's wall clock, with Glooko's fake Z.
      startDate: new Date(from + HOUR).toISOString(),
    });
    const batch = loop(h, 'entries').transform(raw, WINDOW);
    expect(batch.entries.map((e) => e.sgv)).toEqual([139, 142]);
    expect(batch.treatments).toEqual([]);
  });

  it('pages with the cursor each page names until lastPage', async () => {
    const { h, session } = await signedIn();
    const cursors: string[] = [];
    nock(US)
      .get(EGVS)
      .times(3)
      .query((q) => (cursors.push(`${String(q.lastUpdatedAt)}|${String(q.lastGuid)}`), true))
      .reply(() => {
        const n = cursors.length;
        const rows = [egv(`e-${n}`, `2026-11-22T11:0${n}:00.000Z`)];
        return [200, page('egvs', rows, { lastPage: n === 3, lastUpdatedAt: `2026-11-22T10:0${n}:00.000Z`, lastGuid: `e-${n}` })];
      });
    const batch = loop(h, 'entries').transform(await loop(h, 'entries').fetch(session, WINDOW, signal()), WINDOW);
    expect(cursors.slice(1)).toEqual(['2026-11-22T10:01:00.000Z|e-1', '2026-11-22T10:02:00.000Z|e-2']);
    expect(batch.entries.map((e) => e.glookoGuid)).toEqual(['e-1', 'e-2', 'e-3']);
  });

  it.each([
    ['does not move', (n: number) => ({ lastUpdatedAt: '2026-11-22T10:01:00.000Z', lastGuid: 'e-1', n })],
    ['comes back', (n: number) => ({ lastUpdatedAt: `2026-11-22T10:0${n % 2}:00.000Z`, lastGuid: `e-${n % 2}`, n })],
    ['is missing', (n: number) => ({ n })],
  ])('a cursor that %s is GLK014, not an endless loop', async (_name, next) => {
    const { h, session } = await signedIn();
    let n = 0;
    nock(US)
      .get(EGVS)
      .query(true)
      .times(10)
      .reply(() => {
        n++;
        const { n: _n, ...cursor } = next(n);
        return [200, page('egvs', [egv(`e-${n}`, '2026-11-22T11:00:00.000Z')], { lastPage: false, ...cursor })];
      });
    const error = await rejection(loop(h, 'entries').fetch(session, WINDOW, signal()));
    expect(error.code).toBe('GLK014');
    expect(n).toBeLessThanOrEqual(3);
  });

  it('an empty egvs feed falls back to the graph (literal series[], ≤ 2-day slices, wall-clock dates)', async () => {
    const { h, session } = await signedIn();
    const urls: string[] = [];
    nock(US).get(EGVS).query(true).reply(200, page('egvs', []));
    nock(US)
      .get(GRAPH)
      .query(true)
      .times(3)
      .reply((uri) => (urls.push(uri), [200, fixture('graph')]));
    const window = { fromMs: NOW - 5 * 24 * HOUR, toMs: NOW };
    const batch = loop(h, 'entries').transform(await loop(h, 'entries').fetch(session, window, signal()), window);
    expect(urls).toHaveLength(3);
    for (const url of urls) {
      expect(url).toContain('series[]=cgmHigh&series[]=cgmNormal&series[]=cgmLow');
      expect(url).not.toContain('%5B%5D');
      const q = new URL(url, US).searchParams;
      expect(Date.parse(q.get('endDate')!) - Date.parse(q.get('startDate')!)).toBeLessThanOrEqual(2 * 24 * HOUR);
      expect(q.get('patient')).toBe(CODE);
    }
    expect(new URL(urls[0]!, US).searchParams.get('endDate')).toBe(new Date(NOW + HOUR).toISOString());
    expect(batch.entries).toHaveLength(1);
    expect(batch.entries[0]).toMatchObject({ sgv: 142, date: Date.parse('2026-11-22T10:10:00Z') });
  });

  it('an account with no CGM anywhere: after an empty graph, the next poll asks the graph only for the time since', async () => {
    const { h, session } = await signedIn();
    const starts: number[] = [];
    const empty = { series: { cgmHigh: [], cgmNormal: [], cgmLow: [] } };
    nock(US).get(EGVS).query(true).times(2).reply(200, page('egvs', []));
    nock(US)
      .get(GRAPH)
      .query((q) => (starts.push(Date.parse(String(q.startDate))), true))
      .times(8)
      .reply(200, empty);
    const window = { fromMs: NOW - 14 * 24 * HOUR, toMs: NOW };
    await loop(h, 'entries').fetch(session, window, signal());
    expect(starts).toHaveLength(7);
    starts.length = 0;
    await loop(h, 'entries').fetch(session, { fromMs: window.fromMs, toMs: NOW + 5 * 60_000 }, signal());
    // One request, from the end of the last (empty) answer less the slack, on Berlin's wall clock.
    expect(starts).toEqual([NOW - CURSOR_SLACK_MS + HOUR]);
  });

  it('once the feed had readings, an empty page means “nothing new”: no graph call', async () => {
    const { h, session } = await signedIn();
    nock(US).get(EGVS).query(true).reply(200, fixture('egvs')).get(EGVS).query(true).reply(200, page('egvs', []));
    await loop(h, 'entries').fetch(session, WINDOW, signal());
    const raw = (await loop(h, 'entries').fetch(session, WINDOW, signal())) as { graph: unknown[] };
    expect(raw.graph).toEqual([]);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('an egvs feed this account does not have (404) also uses the graph; with the graph turned off, nothing', async () => {
    const { h, session } = await signedIn();
    nock(US).get(EGVS).query(true).reply(404, {}).get(GRAPH).query(true).reply(200, fixture('graph'));
    expect(loop(h, 'entries').transform(await loop(h, 'entries').fetch(session, WINDOW, signal()), WINDOW).entries).toHaveLength(1);
    const off = await signedIn({ useV3Graph: false });
    nock(US).get(EGVS).query(true).reply(404, {});
    expect(loop(off.h, 'entries').transform(await loop(off.h, 'entries').fetch(off.session, WINDOW, signal()), WINDOW).entries).toEqual([]);
  });

  it.each([422, 432, 429])('HTTP %i on a data feed → GLK007: the frame waits (Retry-After, else 15 min) and the next starts from the same cursor', async (status) => {
    const { h, session } = await signedIn();
    const cursors: string[] = [];
    nock(US)
      .get(EGVS)
      .query((q) => (cursors.push(String(q.lastUpdatedAt)), true))
      .reply(status, { error: 'x' }, status === 429 ? { 'retry-after': '90' } : {})
      .get(EGVS)
      .query((q) => (cursors.push(String(q.lastUpdatedAt)), true))
      .reply(200, fixture('egvs'));
    const error = await rejection(loop(h, 'entries').fetch(session, WINDOW, signal()));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.code).toBe('GLK007');
    expect(error.retryAfterMs).toBe(status === 429 ? 90_000 : 15 * 60_000);
    expect(classify(error, NOW)).toEqual({ action: 'wait', untilMs: NOW + error.retryAfterMs! });
    // Nothing was stored, so the outputs' newest — and the window — is unchanged.
    await loop(h, 'entries').fetch(session, WINDOW, signal());
    expect(cursors[0]).toBe(cursors[1]);
  });

  it('a 5xx is an upstream error the machines retry; a body that is not JSON is GLK009', async () => {
    const { h, session } = await signedIn();
    nock(US).get(EGVS).query(true).reply(503, 'busy').get(EGVS).query(true).reply(200, '<html>maintenance</html>');
    const busy = await rejection(loop(h, 'entries').fetch(session, WINDOW, signal()));
    expect([busy.code, busy.status, classify(busy, NOW).action]).toEqual(['GLK008', 503, 'retry']);
    expect((await rejection(loop(h, 'entries').fetch(session, WINDOW, signal()))).code).toBe('GLK009');
  });
});

describe('Glooko treatments loop', () => {
  it('reads every treatment feed from the treatments’ own gap, each paged on its own, and maps the fixtures', async () => {
    const { h, session } = await signedIn();
    const asked = new Map<string, string>();
    const scope = nock(US);
    for (const [path, key] of FEEDS) {
      const body = key === 'normalBoluses' ? fixture('normal-boluses') : key === 'scheduledBasals' ? fixture('scheduled-basals') : page(key, []);
      scope
        .get(path)
        .query((q) => (asked.set(key, String(q.lastUpdatedAt)), q.patient === CODE && q.lastGuid === ZERO_GUID && q.startDate === undefined))
        .reply(200, body);
    }
    // Treatments are a day behind the glucose: their loop asks from its own newest, not the entries’.
    const window = { fromMs: NOW - 24 * HOUR, toMs: NOW };
    const batch = loop(h, 'treatments').transform(await loop(h, 'treatments').fetch(session, window, signal()), window);
    scope.done();
    expect(new Set(asked.values())).toEqual(new Set([new Date(window.fromMs - CURSOR_SLACK_MS).toISOString()]));
    expect(batch.treatments.map((t) => [t.eventType, t.created_at])).toEqual([
      ['Temp Basal', '2026-11-22T05:00:00.000Z'],
      ['Meal Bolus', '2026-11-22T09:40:00.000Z'],
    ]);
    expect(loop(h, 'treatments').collections).toEqual(['treatments']);
    expect(loop(h, 'entries').collections).toEqual(['entries']);
  });

  it('a feed the account lacks (404) is empty; a throttled one fails the frame', async () => {
    const { h, session } = await signedIn();
    for (const [path, key] of FEEDS) nock(US).get(path).query(true).reply(key === 'foods' ? 404 : 200, key === 'foods' ? {} : page(key, []));
    expect(loop(h, 'treatments').transform(await loop(h, 'treatments').fetch(session, WINDOW, signal()), WINDOW).treatments).toEqual([]);
    for (const [path, key] of FEEDS) nock(US).get(path).query(true).reply(key === 'events' ? 432 : 200, page(key, []));
    expect((await rejection(loop(h, 'treatments').fetch(session, WINDOW, signal()))).code).toBe('GLK007');
  });

  it('skipEntries leaves only the treatments loop', () => {
    expect(harness({ skipEntries: true }).driver.loops.map((l) => l.name)).toEqual(['treatments']);
    expect(harness().driver.loops.map((l) => [l.name, l.historyMs / (24 * HOUR)])).toEqual([
      ['entries', 14],
      ['treatments', 14],
    ]);
  });
});
