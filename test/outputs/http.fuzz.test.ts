import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpActor, type HttpActor } from '../../outputs/http/index.js';
import { renderStatusPage } from '../../outputs/http/page.js';
import type { PageInput } from '../../outputs/http/routes.js';
import { captureLog, type CapturedLog } from '../fakes/capture-log.js';
import { entry, SIM_BRIDGE, transformed } from '../fakes/bridge-events.js';
import { call } from '../fakes/http-call.js';

/**
 * Hostile and broken requests against the real HTTP actor over real sockets: whatever a client
 * sends, the process lives, nothing rejects unhandled, every refusal is coded JSON, and `/healthz`
 * keeps answering. (One `GET //[` used to kill the whole process: `new URL` threw in a promise
 * nobody caught.)
 */

const T0 = Date.UTC(2025, 0, 1, 12);
/** Short, so the slow-client cases take a fraction of a second, not Node's 10 s. */
const TIMEOUTS = { headersMs: 300, requestMs: 600, keepAliveMs: 200, checkMs: 50 };

let actor: HttpActor;
let captured: CapturedLog;
let port: number;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
const sockets: Socket[] = [];

/** The actor under test on a free loopback port, logging to `captured`, with `renderPage`. */
function actorWith(renderPage: (input: PageInput) => string | Promise<string>): HttpActor {
  return createHttpActor({
    config: { enabled: true, bind: '127.0.0.1:0', metricsAuth: false, unit: 'mgdl' },
    log: captured.log,
    now: () => T0,
    version: '9.9.9',
    gitSha: 'abc',
    renderPage,
    timeouts: TIMEOUTS,
  });
}

beforeEach(async () => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  captured = captureLog();
  actor = actorWith(renderStatusPage);
  await actor.start();
  actor.build([SIM_BRIDGE]);
  actor.observe(transformed([entry(T0 - 60_000, 120)]));
  port = Number(new URL(actor.url()).port);
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await actor.stop();
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  expect(unhandled).toEqual([]);
});

function open(): Socket {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  sockets.push(s);
  return s;
}

/** Sends `bytes` on a fresh socket and resolves with all the server sent once it closes (or after 2 s). */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = open();
    let got = '';
    const timer = setTimeout(() => s.destroy(), 2_000);
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write(bytes);
  });
}

const request = (target: string, headers = ''): string => `GET ${target} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`;
const statusOf = (response: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
const codeOf = (response: string): string | undefined => (/"code":"(HTTP\d{3})"/.exec(response) ?? [])[1];

async function healthy(): Promise<void> {
  const r = await call(`${actor.url()}/healthz`);
  expect(r.status).toBe(200);
}

describe('HTTP API under hostile requests', () => {
  it.each([
    ['//[', 404, 'HTTP006', '//['],
    ['//healthz (not a host named healthz)', 404, 'HTTP006', '//healthz'],
    ['/%', 404, 'HTTP006', '/%'],
    ['/%zz', 404, 'HTTP006', '/%zz'],
    ['/%00', 404, 'HTTP006', '/%00'],
    ['/healthz/../readyz', 404, 'HTTP006', '/healthz/../readyz'],
    ['/__proto__', 404, 'HTTP006', '/__proto__'],
    ['/constructor', 404, 'HTTP006', '/constructor'],
    ['an 8 KB path', 404, 'HTTP006', `/${'a'.repeat(8_000)}`],
    ['/glucose?count=%zz', 400, 'HTTP004', '/glucose?count=%zz'],
    ['/glucose?%zz=1', 400, 'HTTP004', '/glucose?%zz=1'],
    ['*', 400, 'HTTP010', '*'],
    ['/glucose?count=1#frag', 200, undefined, '/glucose?count=1#frag'],
    ['/healthz?', 200, undefined, '/healthz?'],
    ['http://x/healthz (absolute form)', 200, undefined, 'http://x/healthz'],
    ['http://[/healthz', 200, undefined, 'http://[/healthz'],
  ])('GET %s answers %i %s and the process lives', async (_name, status, code, target) => {
    const response = await raw(request(target));
    expect(statusOf(response)).toBe(status);
    if (code) expect(codeOf(response)).toBe(code);
    expect(response).toContain('Content-Type: application/json');
    await healthy();
  });

  it('GET // is the status page (a trailing slash is the same endpoint)', async () => {
    expect(statusOf(await raw(request('//')))).toBe(200);
  });

  it.each([
    ['a request line that is not one', 'garbage\r\n\r\n', 400, 'HTTP010'],
    ['control bytes', '\x00\x01\x02\xff\r\n\r\n', 400, 'HTTP010'],
    ['a bare % target', request('%'), 400, 'HTTP010'],
    ['an unknown HTTP version', 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', 0, undefined],
    ['a bad Content-Length', request('/healthz', 'Content-Length: abc\r\n'), 400, 'HTTP010'],
    ['Content-Length and chunked at once', request('/healthz', 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'), 400, 'HTTP010'],
    ['a header without a colon', request('/healthz', 'Broken header\r\n'), 400, 'HTTP010'],
    ['a path longer than the header limit', request(`/${'a'.repeat(70_000)}`), 431, 'HTTP011'],
    ['64 KB of headers', request('/healthz', `X-Big: ${'b'.repeat(65_000)}\r\n`), 431, 'HTTP011'],
  ])('%s is refused with coded JSON, or closed, and the process lives', async (_name, bytes, status, code) => {
    const response = await raw(bytes);
    if (status !== 0) {
      expect(statusOf(response)).toBe(status);
      expect(codeOf(response)).toBe(code);
    }
    await healthy();
  });

  it('a bearer header that is not text, thousands of headers and a body on GET are answered', async () => {
    const many = Array.from({ length: 3_000 }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    expect(statusOf(await raw(request('/glucose/latest', 'Authorization: Bearer \xff\xfe\x80x\r\n')))).toBe(200);
    expect(statusOf(await raw(request('/healthz', many.slice(0, 15_000))))).toBe(200);
    expect(statusOf(await raw(`GET /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody`))).toBe(503);
    await healthy();
  });

  it('pipelined requests are answered in order; a broken one in a pipeline is refused', async () => {
    const answered = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n${request('//[')}`);
    expect([...answered.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1])).toEqual(['200', '404']);
    const broken = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nnot http\r\n\r\n`);
    expect(broken).toMatch(/^HTTP\/1\.1 400 /m);
    await healthy();
  });

  it('a failing page answers 500 HTTP009, logged once without crashing', async () => {
    await actor.stop();
    actor = actorWith(() => Promise.reject(new Error('renderer exploded')));
    await actor.start();
    const r = await call(`${actor.url()}/`);
    expect(r.status).toBe(500);
    expect(r.json()).toMatchObject({ code: 'HTTP009' });
    expect(captured.lines().filter((l) => l.code === 'HTTP009')).toHaveLength(1);
    await healthy();
  });

  it('slow, partial and abandoned requests are cut off (408 HTTP012) while /healthz answers', async () => {
    const slow = open();
    let got = '';
    slow.on('data', (d: Buffer) => (got += d.toString()));
    const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    slow.write('GET /glucose/lat');
    const abandoned = open();
    abandoned.write('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Le');
    await healthy();
    abandoned.destroy();
    await healthy();
    await closed;
    expect(statusOf(got)).toBe(408);
    expect(codeOf(got)).toBe('HTTP012');
  });

  it('hundreds of sockets opened at once, most of them idle or half-sent, do not stop /healthz', async () => {
    const crowd = Array.from({ length: 300 }, (_, i) => {
      const s = open();
      if (i % 3 === 1) s.write('GET /healthz HTTP/1.1\r\nHost');
      if (i % 3 === 2) s.write(request(i % 2 ? '//[' : '/%zz'));
      return s;
    });
    await Promise.all(crowd.map((s) => new Promise<void>((resolve) => (s.readyState === 'open' ? resolve() : s.once('connect', () => resolve())))));
    await Promise.all(Array.from({ length: 20 }, () => healthy()));
    for (const s of crowd) s.destroy();
    await healthy();
  });
});
