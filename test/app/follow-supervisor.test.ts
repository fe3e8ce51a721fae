import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFollowSupervisor, type FollowSupervisor } from '../../app/follow-supervisor.js';
import type { Person } from '../../app/followed-people.js';
import { bridgeSchema } from '../../lib/config/schema.js';
import { RateLimitError } from '../../lib/errors.js';
import { captureLog } from '../fakes/capture-log.js';

const ANNA: Person = { patientId: 'aaaaaaaa-1', name: 'Anna Smith' };
const BEN: Person = { patientId: 'bbbbbbbb-2', name: 'Ben Smith' };
const INTERVAL_MS = 60_000;

const bridge = bridgeSchema.parse({
  id: 'kids',
  source: { kind: 'linkup', username: 'parent@example.test', password: 'pw', patients: 'all' },
  filesystem: { dir: '/data' },
  people: { 'Anna Smith': {}, Nobody: {} },
});

let supervisor: FollowSupervisor | undefined;
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  await supervisor?.stop();
  supervisor = undefined;
  vi.useRealTimers();
});

function start(answers: (() => Person[] | Error)[]) {
  const captured = captureLog();
  const launched: string[] = [];
  const retired: string[] = [];
  let calls = 0;
  supervisor = createFollowSupervisor({
    bridge,
    account: {
      people: () => {
        const answer = answers[Math.min(calls, answers.length - 1)]!();
        calls += 1;
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
    },
    vendor: { name: 'LibreLink Up', nobodyCode: 'LLU018', unmatchedCode: 'LLU029' },
    intervalMs: INTERVAL_MS,
    log: captured.log,
    now: () => Date.now(),
    rand: () => 1,
    launch: (config) => {
      launched.push(config.id);
      return Promise.resolve();
    },
    retire: (id) => {
      retired.push(id);
      return Promise.resolve();
    },
  });
  supervisor.start();
  const messages = (level: number): string[] => captured.lines().filter((l) => l.level === level).map((l) => String(l.msg));
  return { launched, retired, messages, calls: () => calls };
}

describe('the follow supervisor', () => {
  it('starts a bridge per person, then one poll later retires whoever left, one info line each', async () => {
    const run = start([() => [ANNA, BEN], () => [ANNA]]);
    await vi.advanceTimersByTimeAsync(0);
    expect(run.launched).toEqual(['kids-aaaaaaaa', 'kids-bbbbbbbb']);
    expect(run.messages(30)).toEqual(['following Anna Smith as bridge kids-aaaaaaaa', 'following Ben Smith as bridge kids-bbbbbbbb']);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(run.retired).toEqual(['kids-bbbbbbbb']);
    expect(run.messages(30).slice(2)).toEqual(['no longer followed by the account: retiring bridge kids-bbbbbbbb (its data stays)']);
    expect([...supervisor!.running().values()]).toEqual(['kids-aaaaaaaa']);
    // Nothing changes: no line, no launch.
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(run.messages(30)).toHaveLength(3);
    expect(run.calls()).toBe(3);
  });

  it('warns once about a `people` entry that matches nobody and a person without a site of their own', async () => {
    const run = start([() => [ANNA, BEN]]);
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_MS);
    const warnings = run.messages(40);
    expect(warnings.filter((m) => m.includes('people.Nobody'))).toHaveLength(1);
    expect(warnings.filter((m) => m.includes('no Nightscout site for Ben Smith'))).toHaveLength(1);
    expect(warnings.filter((m) => m.includes('no Nightscout site for Anna Smith'))).toHaveLength(1);
  });

  it('backs off after a failed connections call, at least as long as the vendor asks, and retries', async () => {
    const run = start([() => new RateLimitError('LLU007', 'throttled', 20 * 60_000), () => [ANNA]]);
    await vi.advanceTimersByTimeAsync(0);
    expect(run.launched).toEqual([]);
    expect(run.messages(40)[0]).toMatch(/^cannot list who the LibreLink Up account follows: \[LLU007\] throttled/);
    await vi.advanceTimersByTimeAsync(20 * 60_000 - 1);
    expect(run.calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(run.launched).toEqual(['kids-aaaaaaaa']);
  });

  it('calls the account no more after stop', async () => {
    const run = start([() => [ANNA]]);
    await vi.advanceTimersByTimeAsync(0);
    await supervisor!.stop();
    await vi.advanceTimersByTimeAsync(5 * INTERVAL_MS);
    expect(run.calls()).toBe(1);
  });
});
