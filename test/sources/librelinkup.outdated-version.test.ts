import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classify, ConfigError, RateLimitError } from '../../lib/errors.js';
import { STATE_KEYS } from '../../sources/librelinkup/index.js';
import { OUTDATED_WAIT_MS } from '../../sources/librelinkup/outdated-version.js';
import { NOW, PATIENT_ID, SERVER, establish, expectNoSecrets, fixture, harness, rejection, signal } from '../fixtures/librelinkup/harness.js';

/** LibreLink Up's answer to an outdated `version` header since 4.16.0 (issue 23). */

const LOGIN = '/llu/auth/login';
const CONNECTIONS = '/llu/connections';
const GRAPH = `/llu/connections/${PATIENT_ID}/graph`;
const MIN = 60_000;
const HOUR = 60 * MIN;
const OUTDATED = { status: 920, data: { minimumVersion: '4.16.0' } };
const LINE = '[LLU028] LibreLink Up requires app version 4.16.0 or newer (this bridge sends 4.12.0): set CONNECT_LINK_UP_VERSION=4.16.0';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('LibreLink Up status 920 (outdated app version)', () => {
  it('on /llu/connections: LLU028 names both versions and the setting, and the next attempt is an hour away', async () => {
    const h = harness({ server: SERVER, version: '4.12.0' }, { rand: () => 0 });
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(403, OUTDATED);
    const error = await rejection(establish(h.driver));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.message).toBe(LINE);
    expect(error.hint).toContain('version: "4.16.0"');
    expect(error.hint).toContain('next in 60 min');
    expect(classify(error, NOW)).toEqual({ action: 'wait', untilMs: NOW + OUTDATED_WAIT_MS });
    expectNoSecrets(error);
    expect(h.state.data.get(STATE_KEYS.outdatedVersion)).toEqual({ version: '4.12.0', minimumVersion: '4.16.0', notBefore: NOW + HOUR });
    // The generic login lockout is not set: it would hold back a corrected version too.
    expect(h.state.data.has(STATE_KEYS.lockout)).toBe(false);
  });

  it('a restart within the hour sends nothing and says the same; after the hour it asks again', async () => {
    const first = harness({ server: SERVER, version: '4.12.0' }, { rand: () => 0 });
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(403, OUTDATED);
    await rejection(establish(first.driver));

    // The ticket was saved by the login; a restart would otherwise reuse it and call connections at once.
    const clock = { now: NOW + 59 * MIN };
    const restart = harness({ server: SERVER, version: '4.12.0' }, { state: first.state, clock, rand: () => 0 });
    const waiting = await rejection(establish(restart.driver));
    expect(waiting).toBeInstanceOf(RateLimitError);
    expect(waiting.message).toBe(LINE);
    expect(waiting.hint).toContain('next in 1 min');
    expect(classify(waiting, clock.now)).toEqual({ action: 'wait', untilMs: NOW + HOUR });
    expect(nock.pendingMocks()).toEqual([]);

    clock.now = NOW + HOUR;
    const scope = nock(SERVER).get(CONNECTIONS).reply(403, OUTDATED);
    const again = await rejection(establish(restart.driver));
    scope.done();
    expect(again.code).toBe('LLU028');
    expect(first.state.data.get(STATE_KEYS.outdatedVersion)).toMatchObject({ notBefore: NOW + 2 * HOUR });
  });

  it('a changed version asks at once, whatever the wait for the old one', async () => {
    const first = harness({ server: SERVER, version: '4.12.0' }, { rand: () => 0 });
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(403, OUTDATED);
    await rejection(establish(first.driver));
    const scope = nock(SERVER).get(CONNECTIONS).reply(200, fixture('connections'));
    const session = await establish(harness({ server: SERVER, version: '4.16.0' }, { state: first.state }).driver);
    scope.done();
    expect(session.patientId).toBe(PATIENT_ID);
  });

  it('on the login itself: same message, and the credentials are not marked refused', async () => {
    const h = harness({ server: SERVER, version: '4.12.0' }, { rand: () => 0.5 });
    nock(SERVER).post(LOGIN).reply(403, OUTDATED);
    const error = await rejection(h.driver.session.authenticate(signal()));
    expect(error.message).toBe(LINE);
    expect((error as RateLimitError).retryAfterMs).toBeGreaterThanOrEqual(HOUR);
    expect(h.state.data.has(STATE_KEYS.refused)).toBe(false);
    expect(h.state.data.has(STATE_KEYS.lockout)).toBe(false);
    expect(h.state.data.get(STATE_KEYS.outdatedVersion)).toMatchObject({ version: '4.12.0', notBefore: NOW + (error as RateLimitError).retryAfterMs });
    // Same process, half an hour on: still no request.
    h.clock.now = NOW + 30 * MIN;
    expect((await rejection(h.driver.session.authenticate(signal()))).code).toBe('LLU028');
  });

  it('on a graph call during a running session', async () => {
    const h = harness({ server: SERVER, version: '4.12.0' }, { rand: () => 0 });
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(200, fixture('connections')).get(GRAPH).reply(403, OUTDATED);
    const session = await establish(h.driver);
    const error = await rejection(h.driver.loops[0]!.fetch(session, { fromMs: NOW - HOUR, toMs: NOW }, signal()));
    expect(error.message).toBe(LINE);
    expect(h.state.data.get(STATE_KEYS.outdatedVersion)).toMatchObject({ notBefore: NOW + HOUR });
  });

  it('a 403 without a readable minimum stays LLU015; a minimum that is not a version is not echoed', async () => {
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(403, { status: 920, data: { minimumVersion: '<script>' } });
    const error = await rejection(establish(harness({ server: SERVER, version: '4.12.0' }).driver));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('LLU015');
    expect(error.message).not.toContain('<script>');
  });
});
