import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bridgeSchema } from '../../lib/config/schema.js';
import { AuthError, ConfigError } from '../../lib/errors.js';
import { createOutputs } from '../../outputs/registry.js';
import { batchOf, entry, hasV3, JWT, jwtExchange, memoryLog, outputWith, SECRET, SECRET_SHA1, SERVER, signal, T0, TOKEN } from './nightscout.helpers.js';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('Nightscout output: start-up', () => {
  it('without a token or a secret, start fails with NS001 naming both settings', async () => {
    const { output } = outputWith({});
    const error: unknown = await output.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('NS001');
    expect((error as ConfigError).hint).toContain('CONNECT_NIGHTSCOUT_TOKEN');
    expect((error as ConfigError).hint).toContain('CONNECT_API_SECRET');
  });

  it('API v3 asked for with only a secret fails with NS015', async () => {
    await expect(outputWith({ apiSecret: SECRET, api: 'v3' }).output.start()).rejects.toMatchObject({ code: 'NS015' });
  });

  it('API v3 asked for on a server without v3 fails with NS010', async () => {
    hasV3(false);
    const error: unknown = await outputWith({ token: TOKEN, api: 'v3' }).output.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('NS010');
  });

  it('says which API and credential it uses, and where', async () => {
    jwtExchange();
    hasV3();
    const { output, lines } = outputWith({ token: TOKEN, endpoint: `${SERVER}/` });
    await output.start();
    expect(lines.filter((l) => l.msg.startsWith('Nightscout output:')).map((l) => l.msg)).toEqual([
      `Nightscout output: API v3 with an access token (JWT) at ${SERVER}`,
    ]);
  });

  it('a Nightscout that is down at boot does not stop the start; the API is decided on first use, and said once', async () => {
    nock(SERVER).get('/api/v3/version').replyWithError('connect ECONNREFUSED');
    const { output, lines } = outputWith({ token: TOKEN });
    await output.start();
    expect(lines.some((l) => l.level === 40 && l.err?.code === 'NS009' && l.msg.includes('deciding on first use'))).toBe(true);

    hasV3();
    jwtExchange();
    nock(SERVER).post('/api/v3/entries').twice().reply(201, { status: 201 });
    await output.store(batchOf({ entries: [entry(T0)] }), signal());
    await output.store(batchOf({ entries: [entry(T0 + 300_000)] }), signal());
    expect(lines.filter((l) => l.msg.startsWith('Nightscout output: API')).map((l) => l.msg)).toEqual([
      `Nightscout output: API v3 with an access token (JWT) at ${SERVER}`,
    ]);
  });

  it('a store while the server is still down throws a retryable error, not a config error', async () => {
    nock(SERVER).get('/api/v3/version').times(2).replyWithError('connect ECONNREFUSED');
    const { output } = outputWith({ token: TOKEN });
    await output.start();
    await expect(output.store(batchOf({ entries: [entry(T0)] }), signal())).rejects.toMatchObject({ code: 'NS009' });
  });
});

describe('Nightscout output: refused credentials are explained', () => {
  it('an unknown token is NS004', async () => {
    hasV3();
    nock(SERVER).get(`/api/v2/authorization/request/${TOKEN}`).reply(401, { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' });
    const { output } = outputWith({ token: TOKEN });
    await output.start();
    await expect(output.store(batchOf({ entries: [entry(T0)] }), signal())).rejects.toMatchObject({ code: 'NS004' });
  });

  it('a token that may create but not update fails on the first duplicate with NS005 naming the permissions it needs', async () => {
    hasV3();
    jwtExchange();
    nock(SERVER).post('/api/v3/entries').reply(403, { status: 403, message: 'Missing permission api:entries:update' });
    const { output } = outputWith({ token: TOKEN });
    await output.start();
    const error: unknown = await output.store(batchOf({ entries: [entry(T0)] }), signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).code).toBe('NS005');
    expect((error as AuthError).message).toContain('api:entries:update');
    expect((error as AuthError).hint).toContain('api:entries:create, api:entries:update and api:entries:read');
  });
});

describe('Nightscout output: logs', () => {
  it('never carry the token, the JWT, the secret or its hash', async () => {
    hasV3(false);
    jwtExchange();
    const { output, raw } = outputWith({ token: TOKEN, apiSecret: SECRET });
    await output.start();
    nock(SERVER).post('/api/v1/entries').reply(400, { status: 400, message: 'Bad request', secret: SECRET_SHA1 });
    await output.store(batchOf({ entries: [entry(T0)] }), signal());
    const text = raw.join('\n');
    expect(text).toContain('NS012');
    for (const credential of [TOKEN, JWT, SECRET, SECRET_SHA1]) expect(text).not.toContain(credential);
  });
});

describe('output registry', () => {
  it('builds the Nightscout output from the bridge config instead of refusing it', async () => {
    const bridge = bridgeSchema.parse({ id: 'b', source: { kind: 'simulator' }, nightscout: { endpoint: SERVER, apiSecret: SECRET } });
    const outputs = await createOutputs(bridge, { now: () => T0, log: memoryLog().log });
    expect(outputs.map((o) => o.name)).toEqual(['nightscout']);
  });
});
