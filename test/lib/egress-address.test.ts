import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../lib/http.js';
import { createRequestBudget, egressOnly } from '../../lib/request-budget.js';
import { sendWire, type WireRequest } from '../../lib/wire.js';
import { listenLocal, type Listening } from '../fakes/local-server.js';

/**
 * The egress address reaches the socket: a server on 127.0.0.1 sees where each request came
 * from. Linux routes all of 127/8 to the loopback interface, so 127.0.0.2 is an address this
 * machine owns without any set-up.
 */

let server: Listening;
const seen: string[] = [];

beforeAll(async () => {
  server = await listenLocal(
    createServer((req, res) => {
      seen.push(req.socket.remoteAddress ?? '');
      res.end('{}');
    }),
  );
});
afterAll(() => server.close());

const request = (): WireRequest => ({ what: 'the test call', method: 'GET', url: `${server.url}/x`, headers: {}, signal: new AbortController().signal });
const fail = () => new Error('transport failure');

describe.skipIf(process.platform !== 'linux')('egress address (localAddress)', () => {
  it('a bridge gate with localAddress 127.0.0.2 sends from it; without one, from the default; kept-alive sockets stay per address', async () => {
    const http = createHttpClient({});
    const budget = createRequestBudget();
    seen.length = 0;
    await sendWire(http, request(), fail, budget.forBridge('anna', { localAddress: '127.0.0.2' }));
    await sendWire(http, request(), fail, budget.forBridge('ben'));
    // The second request from .2 could reuse a kept-alive socket: it must be one bound to .2.
    await sendWire(http, request(), fail, budget.forBridge('anna', { localAddress: '127.0.0.2' }));
    await sendWire(http, request(), fail, budget.forBridge('carl', { localAddress: '127.0.0.3' }));
    expect(seen.map((a) => a.replace(/^::ffff:/, ''))).toEqual(['127.0.0.2', '127.0.0.1', '127.0.0.2', '127.0.0.3']);
  });

  it('capture (no budget) still leaves from the bridge\'s address', async () => {
    seen.length = 0;
    await sendWire(createHttpClient({}), request(), fail, egressOnly('127.0.0.2'));
    expect(seen.map((a) => a.replace(/^::ffff:/, ''))).toEqual(['127.0.0.2']);
    expect(egressOnly(undefined)).toBeUndefined();
  });
});
