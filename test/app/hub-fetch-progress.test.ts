import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { Hub } from '../../app/hub.js';
import { createLogger } from '../../lib/logger.js';
import { tempDir } from '../e2e/cli.js';
import { fakeDriver, fakeLoop, fakeSession } from '../machines/fakes.js';

/**
 * The hub's clock times a fetch; only the status line's ticking timer is faked, so the hub's
 * files and promises run as they do in `forever`.
 */
let hub: Hub | undefined;
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
  vi.useRealTimers();
});

/** A vendor that answers only when told to; `called` once the fetch is under way. */
function slowVendor() {
  let answer: (raw: unknown) => void = () => undefined;
  let fetchCalled: () => void = () => undefined;
  const called = new Promise<void>((resolve) => (fetchCalled = resolve));
  const loop = fakeLoop({
    fetch: () =>
      new Promise((resolve) => {
        answer = resolve;
        fetchCalled();
      }),
  });
  return { driver: fakeDriver(fakeSession(), [loop]), called, answer: (raw: unknown) => answer(raw) };
}

function jsonLines() {
  const lines: { level: number; msg: string; fetchMs?: number }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info', format: 'json', destination }) };
}

const configIn = (cwd: string) => loadConfig({ env: {}, cli: { filesystemDir: join(cwd, 'data') }, cwd });

describe('a slow vendor under the hub', () => {
  it('shows on the status line by the hub clock, and the line goes when the hub stops', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let clock = Date.UTC(2025, 11, 5, 9);
    const vendor = slowVendor();
    const shown: [string, string | undefined][] = [];
    hub = new Hub({
      log: createLogger({ level: 'silent', format: 'json' }),
      now: () => clock,
      createDriver: () => Promise.resolve(vendor.driver),
      terminal: { unit: 'mgdl', progress: (key, text) => shown.push([key, text]) },
    });
    await hub.start(configIn(tempDir()));
    await vendor.called;
    clock += 2_000;
    vi.advanceTimersByTime(2_000);
    expect(shown.at(-1)).toEqual(['simulator/fetch/entries', expect.stringMatching(/^simulator entries: fetching 1 day of history \(since \d+ \w{3} \d\d:\d\d\) · 2 s$/)]);
    await hub.stop();
    expect(shown.at(-1)).toEqual(['simulator/fetch/entries', undefined]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sums up a long fetch in a JSON log by the hub clock, not the wall clock', async () => {
    let clock = Date.UTC(2025, 11, 5, 9);
    const vendor = slowVendor();
    const { lines, log } = jsonLines();
    hub = new Hub({ log, now: () => clock, createDriver: () => Promise.resolve(vendor.driver) });
    await hub.start(configIn(tempDir()));
    await vendor.called;
    clock += 12_300;
    vendor.answer([]);
    await vi.waitFor(() => expect(lines.map((l) => l.msg)).toContain('entries: fetched 1 day of history in 12 s'));
    expect(lines.find((l) => l.msg.includes('fetched'))).toMatchObject({ level: 30, fetchMs: 12_300 });
  });
});
