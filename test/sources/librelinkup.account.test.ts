import { afterEach, describe, expect, it } from 'vitest';
import { linkupSourceSchema } from '../../lib/config/schema.js';
import { errorCode } from '../../lib/errors.js';
import { createLluAccount } from '../../sources/librelinkup/account.js';
import { STATE_KEYS } from '../../sources/librelinkup/persisted.js';
import { memoryStateStore, testDriverContext } from '../fakes/driver-context.js';
import { fakePatient, startFakeLibreLinkUp, type FakeLibreLinkUp } from '../fakes/llu-server.js';

let llu: FakeLibreLinkUp | undefined;
afterEach(async () => {
  await llu?.close();
  llu = undefined;
});

const anna = fakePatient({ firstName: 'Anna', lastName: 'Smith', seed: 2 });
const ben = fakePatient({ firstName: 'Ben', lastName: 'Smith', seed: 3 });
const WINDOW = { fromMs: 0, toMs: Date.now() };

async function setUp(): Promise<{ account: ReturnType<typeof createLluAccount>; state: ReturnType<typeof memoryStateStore> }> {
  llu = await startFakeLibreLinkUp({ patients: [anna, ben] });
  const settings = linkupSourceSchema.parse({ kind: 'linkup', username: llu.scenario.email, password: llu.scenario.password, server: llu.url, patients: 'all' });
  const state = memoryStateStore();
  return { account: createLluAccount(settings, testDriverContext(Date.now, { state }), { rand: () => 0.5 }), state };
}

/** What the session machine does for one person: log in, authorize, then read the graph. */
async function frame(driver: ReturnType<ReturnType<typeof createLluAccount>['driverFor']>): Promise<unknown> {
  const signal = new AbortController().signal;
  const session = await driver.session.authorize(await driver.session.authenticate(signal), signal);
  return driver.loops[0]!.fetch(session, WINDOW, signal);
}

describe('a LibreLink Up account shared by the people it follows', () => {
  it('lists who the account follows with their names', async () => {
    const { account } = await setUp();
    expect(await account.people(new AbortController().signal)).toEqual([
      { patientId: anna.patientId, name: 'Anna Smith' },
      { patientId: ben.patientId, name: 'Ben Smith' },
    ]);
    expect(llu!.counters).toMatchObject({ logins: 1, connections: 1, graph: 0 });
  });

  it('logs in once when every person asks at the same moment, and authorizing a person costs no request', async () => {
    const { account, state } = await setUp();
    const drivers = [anna, ben].map((p) => account.driverFor({ patientId: p.patientId, name: `${p.firstName} ${p.lastName}` }, testDriverContext(Date.now)));
    await Promise.all(drivers.map(frame));
    expect(llu!.counters).toMatchObject({ logins: 1, connections: 0, graph: 2 });
    expect(llu!.requests.filter((r) => r.path.endsWith('/graph')).map((r) => r.path).sort()).toEqual(
      [anna, ben].map((p) => `/llu/connections/${p.patientId}/graph`).sort(),
    );
    // The ticket is the account's: saved in its state folder, not in a person's.
    expect(state.data.has(STATE_KEYS.session)).toBe(true);
  });

  it('after the server drops the ticket, the people share one new login', async () => {
    const { account } = await setUp();
    const drivers = [anna, ben].map((p) => account.driverFor({ patientId: p.patientId, name: '' }, testDriverContext(Date.now)));
    await Promise.all(drivers.map(frame));
    llu!.revokeTokens();
    // Each person's graph answers 401: a session error the machines answer with a new login.
    const failures = await Promise.allSettled(drivers.map(frame));
    expect(failures.map((f) => (f.status === 'rejected' ? errorCode(f.reason) : 'ok'))).toEqual(['LLU017', 'LLU017']);
    await Promise.all(drivers.map(frame));
    expect(llu!.counters.logins).toBe(2);
    expect(llu!.issuedTokens).toHaveLength(2);
  });

  it('replaces a saved ticket the server no longer knows with one login when listing people (after a restart)', async () => {
    const { account, state } = await setUp();
    await account.people(new AbortController().signal);
    llu!.revokeTokens();
    const settings = linkupSourceSchema.parse({ kind: 'linkup', username: llu!.scenario.email, password: llu!.scenario.password, server: llu!.url, patients: 'all' });
    // The same state folder, as after a restart: the saved ticket is tried first.
    const restarted = createLluAccount(settings, testDriverContext(Date.now, { state }), { rand: () => 0.5 });
    expect((await restarted.people(new AbortController().signal)).map((p) => p.patientId)).toEqual([anna.patientId, ben.patientId]);
    expect(llu!.counters).toMatchObject({ logins: 2, connections: 3 });
  });

  it('an outdated app version (LLU028) holds back the whole account: no person asks again within the hour', async () => {
    const { account } = await setUp();
    llu!.set({ minVersion: '99.0.0' });
    const signal = new AbortController().signal;
    expect(errorCode(await account.people(signal).catch((e: unknown) => e))).toBe('LLU028');
    const asked = llu!.requests.length;
    expect(errorCode(await account.people(signal).catch((e: unknown) => e))).toBe('LLU028');
    const driver = account.driverFor({ patientId: anna.patientId, name: 'Anna Smith' }, testDriverContext(Date.now));
    expect(errorCode(await frame(driver).catch((e: unknown) => e))).toBe('LLU028');
    expect(llu!.requests.length).toBe(asked);
  });
});
