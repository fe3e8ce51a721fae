import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import type { SessionReply } from '../../machines/events.js';
import { sessionMachine, SESSION_CALL_TIMEOUT_MS } from '../../machines/session.js';
import { AuthError } from '../../lib/errors.js';
import type { SessionFunctions } from '../../lib/contracts/source.js';
import { deferred, fakeSession, MIN, recorder, settle, T0 } from './fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

function startSession(functions: SessionFunctions) {
  const events: BridgeEvent[] = [];
  const actor = createActor(sessionMachine, { input: { bridgeId: 'b', functions, notify: (e) => events.push(e) } });
  actor.subscribe({ error: (e) => events.push({ type: 'session.failed', bridgeId: 'crash', error: e }) });
  actor.start();
  const ask = (r: ReturnType<typeof recorder<SessionReply>>) =>
    actor.send({ type: 'SESSION_REQUIRED', loop: 'entries', replyTo: r.ref });
  return { actor, events, ask };
}

describe('session machine', () => {
  it('logs in once for several loops asking at the same time (single-flight)', async () => {
    const login = deferred<unknown>();
    const fake = fakeSession({ authenticate: () => login.promise });
    const s = startSession(fake.functions);
    const a = recorder<SessionReply>();
    const b = recorder<SessionReply>();
    s.ask(a);
    s.ask(b);
    await settle();
    expect(s.actor.getSnapshot().value).toBe('authenticating');
    login.resolve({ token: 't' });
    await settle();
    expect(fake.authenticate).toHaveBeenCalledTimes(1);
    expect(fake.authorize).toHaveBeenCalledWith({ token: 't' }, expect.any(AbortSignal));
    expect(a.got).toEqual([{ type: 'SESSION_RESOLVED', session: fake.sessions[0] }]);
    expect(b.got).toEqual(a.got);
    expect(s.events.map((e) => e.type)).toEqual(['session.established']);
  });

  it('answers at once from the cached session while established', async () => {
    const fake = fakeSession();
    const s = startSession(fake.functions);
    s.ask(recorder<SessionReply>());
    await settle();
    const later = recorder<SessionReply>();
    s.ask(later);
    expect(later.got).toEqual([{ type: 'SESSION_RESOLVED', session: fake.sessions[0] }]);
    expect(fake.authenticate).toHaveBeenCalledTimes(1);
  });

  it('reports a failed login to every requester and waits in inactive (no login of its own)', async () => {
    const refused = new AuthError('LLU003', 'invalid credentials');
    const fake = fakeSession({ authenticate: () => Promise.reject(refused) });
    const s = startSession(fake.functions);
    const a = recorder<SessionReply>();
    const b = recorder<SessionReply>();
    s.ask(a);
    s.ask(b);
    await settle();
    expect(a.got).toEqual([{ type: 'SESSION_ERROR', error: refused }]);
    expect(b.got).toEqual(a.got);
    expect(s.actor.getSnapshot().value).toBe('inactive');
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(fake.authenticate).toHaveBeenCalledTimes(1);
    expect(s.events).toEqual([{ type: 'session.failed', bridgeId: 'b', error: refused }]);
  });

  it('refreshes after refreshAfterMs and hands out the refreshed session', async () => {
    const refresh = vi.fn<NonNullable<SessionFunctions['refresh']>>(() => Promise.resolve({ id: 'refreshed' }));
    const fake = fakeSession({ refresh, refreshAfterMs: 50 * MIN, expireAfterMs: 60 * MIN });
    const s = startSession(fake.functions);
    s.ask(recorder<SessionReply>());
    await settle();
    await vi.advanceTimersByTimeAsync(50 * MIN - 1);
    expect(refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(refresh).toHaveBeenCalledWith(fake.sessions[0], { token: 'tok' }, expect.any(AbortSignal));
    const r = recorder<SessionReply>();
    s.ask(r);
    expect(r.got).toEqual([{ type: 'SESSION_RESOLVED', session: { id: 'refreshed' } }]);
    // the refreshed session gets a fresh expiry: nothing expires 60 min after the first login
    await vi.advanceTimersByTimeAsync(15 * MIN);
    expect(s.actor.getSnapshot().value).toBe('established');
    expect(fake.authenticate).toHaveBeenCalledTimes(1);
  });

  it('goes to expired when the refresh fails, and logs in on the next request', async () => {
    const fake = fakeSession({ refresh: () => Promise.reject(new Error('nope')), refreshAfterMs: 10 * MIN });
    const s = startSession(fake.functions);
    s.ask(recorder<SessionReply>());
    await settle();
    await vi.advanceTimersByTimeAsync(10 * MIN);
    expect(s.actor.getSnapshot().value).toBe('expired');
    expect(s.events.map((e) => e.type)).toEqual(['session.established', 'session.failed', 'session.expired']);
    expect(fake.authenticate).toHaveBeenCalledTimes(1);
    const r = recorder<SessionReply>();
    s.ask(r);
    await settle();
    expect(fake.authenticate).toHaveBeenCalledTimes(2);
    expect(r.got).toEqual([{ type: 'SESSION_RESOLVED', session: fake.sessions[1] }]);
  });

  it('expires after expireAfterMs without a refresh function', async () => {
    const fake = fakeSession({ expireAfterMs: 60 * MIN, refreshAfterMs: 50 * MIN });
    const s = startSession(fake.functions);
    s.ask(recorder<SessionReply>());
    await settle();
    await vi.advanceTimersByTimeAsync(60 * MIN - 1);
    expect(s.actor.getSnapshot().value).toBe('established');
    await vi.advanceTimersByTimeAsync(1);
    expect(s.actor.getSnapshot().value).toBe('expired');
    expect(s.events.at(-1)).toEqual({ type: 'session.expired', bridgeId: 'b' });
  });

  it('expires on SESSION_INVALID for the current session, ignores it for an older one', async () => {
    const fake = fakeSession();
    const s = startSession(fake.functions);
    s.ask(recorder<SessionReply>());
    await settle();
    s.actor.send({ type: 'SESSION_INVALID', loop: 'entries', session: { id: 1 } }); // equal, not the same object
    expect(s.actor.getSnapshot().value).toBe('established');
    s.actor.send({ type: 'SESSION_INVALID', loop: 'entries', session: fake.sessions[0] });
    expect(s.actor.getSnapshot().value).toBe('expired');
  });

  it('aborts a login that hangs and tells the requesters', async () => {
    let signal: AbortSignal | undefined;
    const fake = fakeSession({
      authenticate: (s) => {
        signal = s;
        return new Promise(() => undefined);
      },
    });
    const s = startSession(fake.functions);
    const r = recorder<SessionReply>();
    s.ask(r);
    await vi.advanceTimersByTimeAsync(SESSION_CALL_TIMEOUT_MS);
    expect(signal?.aborted).toBe(true);
    expect(r.got).toEqual([{ type: 'SESSION_ERROR', error: expect.objectContaining({ code: 'HUB005' }) }]);
    expect(s.actor.getSnapshot().value).toBe('inactive');
  });

  it('aborts an in-flight login when it is stopped', async () => {
    let signal: AbortSignal | undefined;
    const fake = fakeSession({
      authenticate: (s) => {
        signal = s;
        return new Promise(() => undefined);
      },
    });
    const s = startSession(fake.functions);
    s.ask(recorder<SessionReply>());
    await settle();
    s.actor.stop();
    expect(signal?.aborted).toBe(true);
  });
});
