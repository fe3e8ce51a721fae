import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cycleMachine } from '../../machines/cycle.js';
import { cycleId, CYCLE_RESPAWN_DELAY_MS, pollerMachine, SESSION_ID } from '../../machines/poller.js';
import { sessionMachine } from '../../machines/session.js';
import { fakeDriver, fakeLoop, fakeOutput, fakeSession, settle, startPoller, T0 } from './fakes.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

const bug = new Error('bug in an action');

describe('poller: a crashing child never takes the poller down', () => {
  it('restarts a crashed cycle after a pause, not at once', async () => {
    let crashes = 1;
    const buggyCycle = cycleMachine.provide({
      actions: {
        notifyDone: () => {
          if (crashes-- > 0) throw bug;
        },
      },
    });
    const machine = pollerMachine.provide({ actors: { cycle: buggyCycle } });
    const loop = fakeLoop();
    const run = startPoller({ driver: fakeDriver(fakeSession(), [loop]), outputs: [fakeOutput('out')] }, machine);
    await settle();
    expect(run.errors).toEqual([]);
    expect(run.actor.getSnapshot().status).toBe('active');
    expect(run.of('frame.done')).toMatchObject([{ loop: 'entries', result: { outcome: 'failed', error: bug }, nextInMs: CYCLE_RESPAWN_DELAY_MS }]);
    expect(loop.fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(CYCLE_RESPAWN_DELAY_MS - 1);
    expect(loop.fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(loop.fetch).toHaveBeenCalledTimes(2);
    expect(run.actor.getSnapshot().children[cycleId('entries')]?.getSnapshot().status).toBe('active');
    run.actor.stop();
  });

  it('records a crashed cycle as a failed result in once mode and still finishes', async () => {
    const buggyCycle = cycleMachine.provide({ actions: { notifyDone: () => { throw bug; } } });
    const machine = pollerMachine.provide({ actors: { cycle: buggyCycle } });
    const run = startPoller({ driver: fakeDriver(fakeSession(), [fakeLoop()]), outputs: [], once: true }, machine);
    await settle();
    expect(run.actor.getSnapshot().output).toEqual({ results: { entries: { outcome: 'failed', fetched: 0, error: bug } } });
  });

  it('replaces a crashed session with a fresh one under the same id', async () => {
    let crashes = 1;
    const buggySession = sessionMachine.provide({
      actions: {
        notifyEstablished: () => {
          if (crashes-- > 0) throw bug;
        },
      },
    });
    const machine = pollerMachine.provide({ actors: { session: buggySession } });
    const session = fakeSession();
    const loop = fakeLoop();
    const run = startPoller({ driver: fakeDriver(session, [loop]), outputs: [fakeOutput('out')] }, machine);
    await settle();
    const replacement = run.actor.getSnapshot().children[SESSION_ID];
    expect(run.errors).toEqual([]);
    expect(run.of('session.failed')).toMatchObject([{ error: bug }]);
    expect(replacement?.getSnapshot().value).toBe('inactive');
    // the frame whose answer was lost gives up waiting, backs off and asks the new session
    await vi.advanceTimersByTimeAsync(5 * 60_000 + 3_750);
    expect(session.authenticate).toHaveBeenCalledTimes(2);
    expect(loop.fetch).toHaveBeenCalledTimes(1);
    run.actor.stop();
  });
});
