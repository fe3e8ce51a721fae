import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { connectRedis, STATE_COMMAND_TIMEOUT_MS } from '../../lib/fleet/connect.js';
import { fleetLimits, fleetRequestBudget, type FleetLimits } from '../../lib/fleet/fleet-budget.js';
import { createSharedBudget } from '../../lib/fleet/shared-budget.js';
import { createRequestBudget, type RequestBudget } from '../../lib/request-budget.js';
import { captureLog } from '../fakes/capture-log.js';
import { HAVE_REDIS, NO_REDIS, startRedis, type TestRedis } from '../fakes/redis.js';

/**
 * Fleet-wide budgets on a private Redis. Each "process" is a client, a shared budget and a
 * per-process budget of its own, as two `forever` processes would have. Counts are asserted, not
 * durations: a long window (a minute) holds still for the test, so exactly `points` requests go
 * out and the rest wait; the one test on one-second windows bounds the count by the windows the
 * run can span, never how long anything took.
 */

const HOST = 'api.libreview.io';
/** Wide enough that the per-process budget never decides: only the fleet's does. */
const ROOMY = { requestsPerSecond: 1000, concurrency: 100 };

interface Proc {
  budget: RequestBudget;
  redis: Redis;
}

let server: TestRedis;
const clients: Redis[] = [];
let prefixes = 0;

async function processes(count: number, limits: FleetLimits, prefix: string, options: { outageMs?: number; log?: ReturnType<typeof captureLog> } = {}): Promise<Proc[]> {
  const procs: Proc[] = [];
  for (let i = 0; i < count; i += 1) {
    const log = (options.log ?? captureLog()).log;
    const redis = await connectRedis({ url: server.url, commandTimeoutMs: STATE_COMMAND_TIMEOUT_MS, role: 'state' }, log);
    clients.push(redis);
    const shared = await createSharedBudget(redis, { prefix, log, ...(options.outageMs === undefined ? {} : { outageMs: options.outageMs }) });
    procs.push({ budget: fleetRequestBudget(createRequestBudget(ROOMY), shared, limits), redis });
  }
  return procs;
}

const freshPrefix = (): string => `t${(prefixes += 1)}`;

/**
 * Waits until a Redis counter says every request has asked once and the grants' answers have
 * reached their processes (`sent` as expected); what is asserted is the count after everything
 * waiting is aborted, which no later grant can change.
 */
async function settledAt(key: string, asked: number, sent: () => number, expected: number): Promise<void> {
  await vi.waitFor(async () => {
    expect(Number(await server.client.get(key))).toBeGreaterThanOrEqual(asked);
    expect(sent()).toBe(expected);
  }, { timeout: 5_000, interval: 20 });
}

if (!HAVE_REDIS) describe.skip(NO_REDIS, () => it('needs redis-server', () => undefined));

describe.skipIf(!HAVE_REDIS)('fleet-wide vendor budgets (rate-limiter-flexible on Redis)', () => {
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.close();
  });

  it('two processes share one host budget: of 10 requests in a window of 4, exactly 4 go out; the rest wait until aborted', async () => {
    const prefix = freshPrefix();
    const [a, b] = await processes(2, { host: { points: 4, seconds: 60 } }, prefix);
    const sent: string[] = [];
    const stop = new AbortController();
    const runs = [a, b].flatMap((p, i) =>
      ['x', 'y', 'z', 'v', 'w'].map((name) =>
        p!.budget.forBridge(`${name}${i}`).run(HOST, stop.signal, () => {
          sent.push(`${name}${i}`);
          return Promise.resolve('ok');
        }),
      ),
    );
    const settled = Promise.allSettled(runs);
    // Every request has asked Redis once: 4 granted, 6 refused and waiting for the window.
    await settledAt(`${prefix}:~budget:host:${HOST}`, 10, () => sent.length, 4);
    stop.abort(new Error('stopped'));
    const results = await settled;
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    expect(results.filter((r) => r.status === 'rejected').map((r) => r.reason as Error).every((e) => e.message === 'stopped')).toBe(true);
    expect(sent).toHaveLength(4);
  });

  it('a request whose lease ran out while it waited (a stalled process) is not sent (FLEET006); one whose lease holds is', async () => {
    const prefix = freshPrefix();
    const log = captureLog();
    const redis = await connectRedis({ url: server.url, commandTimeoutMs: STATE_COMMAND_TIMEOUT_MS, role: 'state' }, log.log);
    clients.push(redis);
    const shared = await createSharedBudget(redis, { prefix, log: log.log });
    const held = new Set(['anna']);
    const budget = fleetRequestBudget(createRequestBudget(ROOMY), shared, { host: { points: 10, seconds: 60 } }, (bridge) => held.has(bridge));
    const sent: string[] = [];
    const send = (name: string) => () => Promise.resolve(void sent.push(name));
    await budget.forBridge('anna').run(HOST, new AbortController().signal, send('anna'));
    await expect(budget.forBridge('ben').run(HOST, new AbortController().signal, send('ben'))).rejects.toThrow(/^\[FLEET006\] request for bridge "ben" not sent/);
    expect(sent).toEqual(['anna']);
  });

  it('the budget is per host × egress address: another address has its own, the same address is shared', async () => {
    const prefix = freshPrefix();
    const [a, b] = await processes(2, { host: { points: 1, seconds: 60 } }, prefix);
    const sent: string[] = [];
    const stop = new AbortController();
    const send = (name: string) => () => {
      sent.push(name);
      return Promise.resolve(name);
    };
    const runs = [
      a!.budget.forBridge('a1', { localAddress: '192.0.2.1' }).run(HOST, stop.signal, send('a1')),
      b!.budget.forBridge('b1', { localAddress: '192.0.2.1' }).run(HOST, stop.signal, send('b1')),
      b!.budget.forBridge('b2', { localAddress: '192.0.2.2' }).run(HOST, stop.signal, send('b2')),
    ];
    const settled = Promise.allSettled(runs);
    await settledAt(`${prefix}:~budget:host:${HOST}@192.0.2.1`, 2, () => sent.length, 2);
    expect(Number(await server.client.get(`${prefix}:~budget:host:${HOST}@192.0.2.2`))).toBe(1);
    expect(a!.budget.forBridge('a1', { localAddress: '192.0.2.1' }).localAddress).toBe('192.0.2.1');
    stop.abort(new Error('stopped'));
    await settled;
    expect(sent).toHaveLength(2);
    expect(sent).toContain('b2');
  });

  it('per bridge and per login, across processes: a bridge over its own budget waits while others go on', async () => {
    const prefix = freshPrefix();
    const limits = { host: { points: 100, seconds: 60 }, perBridge: { points: 2, seconds: 60 }, perLogin: { points: 3, seconds: 60 } };
    const [a, b] = await processes(2, limits, prefix);
    const sent: string[] = [];
    const stop = new AbortController();
    const send = (name: string) => () => {
      sent.push(name);
      return Promise.resolve(name);
    };
    // One bridge (one account) as two processes would see it during a hand-over: 2 requests in all.
    const bridge = [a, b, a].map((p, i) => p!.budget.forBridge('anna').run(HOST, stop.signal, send(`anna${i}`)));
    // Three bridges of one login: 3 requests in all, whichever process runs them.
    const login = [a, b, b, a].map((p, i) => p!.budget.forBridge(`ben${i}`, { login: 'linkup-abc' }).run(HOST, stop.signal, send(`ben${i}`)));
    const other = await b!.budget.forBridge('carl').run(HOST, stop.signal, send('carl'));
    expect(other).toBe('carl');
    const settled = Promise.allSettled([...bridge, ...login]);
    await settledAt(`${prefix}:~budget:bridge:anna`, 3, () => sent.filter((s) => s.startsWith('anna')).length, 2);
    await settledAt(`${prefix}:~budget:login:linkup-abc`, 4, () => sent.filter((s) => s.startsWith('ben')).length, 3);
    stop.abort(new Error('stopped'));
    await settled;
    expect(sent.filter((s) => s.startsWith('anna'))).toHaveLength(2);
    expect(sent.filter((s) => s.startsWith('ben'))).toHaveLength(3);
  });

  it('a request aborted while Redis is answering ends at once, not after the window', async () => {
    const prefix = freshPrefix();
    const [a] = await processes(1, { host: { points: 1, seconds: 60 } }, prefix);
    const signal = new AbortController().signal;
    await a!.budget.forBridge('x').run(HOST, signal, () => Promise.resolve('first'));
    const stop = new AbortController();
    const started = Date.now();
    const second = a!.budget.forBridge('y').run(HOST, stop.signal, () => Promise.resolve('second'));
    // Aborted in the same turn: the refusal arrives after the abort.
    stop.abort(new Error('stopped'));
    await expect(second).rejects.toThrow('stopped');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('R requests per second per host, configured as today, hold for two processes together (one-second windows)', async () => {
    const R = 3;
    const limits = fleetLimits({ requestsPerSecond: R, concurrency: 8 });
    expect(limits.host).toEqual({ points: R, seconds: 1 });
    const procs = await processes(2, limits, freshPrefix());
    const sentAt: number[] = [];
    const until = Date.now() + 2_200;
    const stop = new AbortController();
    // Each process has 4 bridges asking again as soon as a request is answered, for 2.2 s.
    const loops = procs.flatMap((p, i) =>
      [0, 1, 2, 3].map(async (n) => {
        const gate = p.budget.forBridge(`b${i}-${n}`);
        while (Date.now() < until) {
          await gate.run(HOST, stop.signal, () => Promise.resolve(void sentAt.push(Date.now())));
        }
      }),
    );
    const timer = setTimeout(() => stop.abort(new Error('time')), 2_400);
    await Promise.allSettled(loops);
    clearTimeout(timer);
    const span = Math.max(...sentAt) - Math.min(...sentAt);
    // A window starts at its first request and lasts a second: a run this long spans at most
    // ceil(span) + 1 of them. Each process counting alone would have sent R per window each, twice as many.
    expect(sentAt.length).toBeGreaterThanOrEqual(R);
    expect(sentAt.length).toBeLessThanOrEqual(R * (Math.ceil(span / 1000) + 1));
  });

  it('Redis out of reach: requests wait and ask again, logged once, and go out once it answers; none is sent unbudgeted', async () => {
    const log = captureLog();
    const [a] = await processes(1, { host: { points: 10, seconds: 60 } }, freshPrefix(), { log });
    const sent: string[] = [];
    await server.kill();
    let down = true;
    try {
      const gate = a!.budget.forBridge('anna');
      const runs = ['r1', 'r2', 'r3'].map((name) =>
        gate.run(HOST, new AbortController().signal, () => {
          sent.push(name);
          return Promise.resolve(name);
        }),
      );
      await vi.waitFor(() => expect(log.lines().some((l) => (l.err as { code?: string } | undefined)?.code === 'FLEET005')).toBe(true), { timeout: 5_000, interval: 20 });
      expect(sent).toEqual([]);
      await server.start();
      down = false;
      await expect(Promise.all(runs)).resolves.toEqual(['r1', 'r2', 'r3']);
      expect(log.lines().filter((l) => (l.err as { code?: string } | undefined)?.code === 'FLEET005')).toHaveLength(1);
      expect(log.lines().some((l) => l.msg === 'vendor budget reachable again')).toBe(true);
    } finally {
      if (down) await server.start();
    }
  }, 20_000);

  it('Redis out of reach for longer than the bound: the request fails (FLEET005) without being sent', async () => {
    const [a] = await processes(1, { host: { points: 10, seconds: 60 } }, freshPrefix(), { outageMs: 600 });
    await server.kill();
    try {
      let sent = false;
      const run = a!.budget.forBridge('anna').run(HOST, new AbortController().signal, () => Promise.resolve(void (sent = true)));
      await expect(run).rejects.toThrow(/^\[FLEET005\] no vendor budget for api\.libreview\.io: Redis did not answer/);
      expect(sent).toBe(false);
    } finally {
      await server.start();
    }
  }, 10_000);
});
