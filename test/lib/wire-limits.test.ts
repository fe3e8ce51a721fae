import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { CookieJar } from 'tough-cookie';
import { describe, expect, it } from 'vitest';
import { classify, UpstreamError } from '../../lib/errors.js';
import { createHttpClient, DEFAULT_MAX_BODY_BYTES, MiB } from '../../lib/http.js';
import { NIGHTSCOUT_MAX_BODY_BYTES } from '../../lib/nightscout/client.js';
import { Secret } from '../../lib/secret.js';
import { sendWire } from '../../lib/wire.js';
import { decide } from '../../machines/frame-logic.js';
import { CARELINK_MAX_ANSWER_BYTES, createCareLinkClient } from '../../sources/carelink/client.js';
import { createShareClient, SHARE_MAX_ANSWER_BYTES } from '../../sources/dexcomshare/client.js';
import { createGlookoClient, GLOOKO_MAX_ANSWER_BYTES } from '../../sources/glooko/client.js';
import { createLluClient, LLU_MAX_ANSWER_BYTES } from '../../sources/librelinkup/client.js';
import { createNightscoutSourceDriver } from '../../sources/nightscout/index.js';
import type { WireResponse } from '../../lib/wire.js';
import { testDriverContext } from '../fakes/driver-context.js';
import { listenLocal, type Listening } from '../fakes/local-server.js';
import { rejection, signal } from '../fakes/settle.js';

/**
 * Every request has a size cap and an overall deadline (lib/wire.ts): a server that answers with
 * hundreds of megabytes, or trickles its answer a byte at a time, ends in a coded error that the
 * frame retries, never in a process that grows without bound or a call that never returns.
 */

// No nock here: its stand-in for Node's http times sockets out by the clock, which would hide
// what axios' own idle timeout does against a real server (nothing, while bytes keep coming).

const TOKEN = 'tok-1f2e3d4c5b6a';
const PASSWORD = new Secret('hunter2-very-secret');
const T0 = Date.UTC(2026, 10, 22, 12);

/** A vendor call of each driver, sent through its own client with `http`, against `base`. */
interface VendorCall {
  vendor: string;
  /** The driver's code for "cannot be reached". */
  networkCode: string;
  maxBytes: number;
  call: (base: string, http: ReturnType<typeof createHttpClient>) => Promise<WireResponse>;
}

const VENDORS: VendorCall[] = [
  {
    vendor: 'LibreLink Up',
    networkCode: 'LLU025',
    maxBytes: LLU_MAX_ANSWER_BYTES,
    call: (base, http) =>
      createLluClient({ product: 'llu.ios', version: '4.16.0' }, undefined, http).graph({ baseUrl: base, token: new Secret(TOKEN), accountId: 'a'.repeat(64) }, 'patient-1', signal()),
  },
  {
    vendor: 'Dexcom Share',
    networkCode: 'DEX013',
    maxBytes: SHARE_MAX_ANSWER_BYTES,
    call: (base, http) => createShareClient(undefined, http).readings({ baseUrl: base, applicationId: 'app' }, new Secret(TOKEN), { minutes: 1440, maxCount: 288 }, signal()),
  },
  {
    vendor: 'CareLink',
    networkCode: 'CL020',
    maxBytes: CARELINK_MAX_ANSWER_BYTES,
    call: (base, http) => createCareLinkClient((url) => url, undefined, http).send({ what: 'the pump data', url: `${base}/display/message`, bearer: new Secret(TOKEN), json: {} }, signal()),
  },
  {
    vendor: 'Glooko',
    networkCode: 'GLK010',
    maxBytes: GLOOKO_MAX_ANSWER_BYTES,
    call: (base, http) => createGlookoClient(http).feedPage({ baseUrl: base, webOrigin: base }, new CookieJar(), '/api/v2/cgm/egvs', { patient: 'p' }, signal()),
  },
];

/** A server whose every answer is `answer`; the connection is closed hard at the end of the test. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening & { host: string }> {
  const listening = await listenLocal(createServer(answer));
  return { ...listening, host: new URL(listening.url).host };
}

/** Streams `chunk` for as long as the client reads; reports how much went out and whether the client hung up. */
function endless(chunk: Buffer) {
  const seen = { sent: 0, closed: false };
  const answer = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) seen.sent += chunk.length;
      if (!res.destroyed) seen.sent += chunk.length;
    };
    res.on('drain', pump);
    res.on('close', () => (seen.closed = true));
    pump();
  };
  return { seen, answer };
}

/** One byte every 50 ms: never silent long enough for axios' idle `timeout`. */
function trickle(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  const timer = setInterval(() => res.write(' '), 50);
  res.on('close', () => clearInterval(timer));
}

describe('an answer too large to read', () => {
  for (const vendor of VENDORS) {
    it(`${vendor.vendor}: a body that never ends is cut off at ${vendor.maxBytes / MiB} MiB with WIRE001 naming the host; the frame retries it`, async () => {
      const { seen, answer } = endless(Buffer.alloc(64 * 1024, 0x20));
      const server = await serve(answer);
      try {
        const error = await rejection(vendor.call(server.url, createHttpClient({})));
        expect(error).toBeInstanceOf(UpstreamError);
        expect(error.code).toBe('WIRE001');
        expect(error.message).toContain(server.host);
        expect(error.message).toContain(`more than ${vendor.maxBytes / MiB} MiB`);
        expect(error.message).not.toContain(TOKEN);
        expect(decide(error, 'fetch', T0)).toEqual({ action: 'retry' });
        // The client hung up: what went out is the cap plus what the sockets buffer, not the 200 MiB it would have been.
        await expect.poll(() => seen.closed).toBe(true);
        expect(seen.sent).toBeLessThan(vendor.maxBytes + 32 * MiB);
      } finally {
        await server.close();
      }
    });
  }

  it('a small gzip body that inflates past the cap is a WIRE001 too (counted after decompression)', async () => {
    const bomb = gzipSync(Buffer.alloc(2 * LLU_MAX_ANSWER_BYTES, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
      res.end(bomb);
    });
    try {
      const error = await rejection(VENDORS[0]!.call(server.url, createHttpClient({})));
      expect(error.code).toBe('WIRE001');
    } finally {
      await server.close();
    }
  });

  it('an answer just under the cap is read whole', async () => {
    const body = JSON.stringify([' '.repeat(LLU_MAX_ANSWER_BYTES - 16)]);
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
    try {
      const response = await VENDORS[0]!.call(server.url, createHttpClient({}));
      expect(response.text.length).toBe(body.length);
    } finally {
      await server.close();
    }
  });

  it('the Nightscout source reads up to 32 MiB (pages of 500 loop device statuses), and fails beyond it with WIRE001', async () => {
    expect(NIGHTSCOUT_MAX_BODY_BYTES).toBe(32 * MiB);
    const { seen, answer } = endless(Buffer.alloc(64 * 1024, 0x20));
    const server = await serve(answer);
    try {
      const driver = createNightscoutSourceDriver({ kind: 'nightscout', endpoint: server.url, apiSecret: PASSWORD }, testDriverContext(() => T0));
      const session = await driver.session.authorize(await driver.session.authenticate(signal()), signal());
      const error = await rejection(driver.loops[0]!.fetch(session, { fromMs: T0 - 3_600_000, toMs: T0 }, signal()));
      expect(error.code).toBe('WIRE001');
      expect(error.message).toContain('more than 32 MiB');
      await expect.poll(() => seen.closed).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a request body over the cap is not sent (WIRE002)', async () => {
    let requests = 0;
    const server = await serve((_req, res) => {
      requests += 1;
      res.end('{}');
    });
    try {
      const request = { what: 'POST /api/v1/entries', method: 'POST' as const, url: `${server.url}/api/v1/entries`, headers: {}, body: ['x'.repeat(4096)], signal: signal(), maxBytes: 1024 };
      const error = await rejection(sendWire(createHttpClient({}), request, () => new Error('not a transport failure')));
      expect(error.code).toBe('WIRE002');
      expect(error.message).toContain(server.host);
      expect(requests).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('the shared client caps every other caller at 4 MiB', () => {
    expect(DEFAULT_MAX_BODY_BYTES).toBe(4 * MiB);
    expect(createHttpClient({}).defaults).toMatchObject({ maxContentLength: 4 * MiB, maxBodyLength: 4 * MiB });
  });
});

describe('a deadline on every request, answer included', () => {
  for (const vendor of VENDORS) {
    it(`${vendor.vendor}: a server that trickles its answer fails with ${vendor.networkCode} at the client's timeout, not when it stops sending`, async () => {
      const server = await serve(trickle);
      try {
        const started = performance.now();
        const error = await rejection(vendor.call(server.url, createHttpClient({ timeout: 300 })));
        expect(performance.now() - started).toBeLessThan(3_000);
        expect(error.code).toBe(vendor.networkCode);
        expect(error.message).toContain('no complete answer within 0.3 s');
        expect(classify(error, T0)).toEqual({ action: 'retry' });
      } finally {
        await server.close();
      }
    });
  }
});
