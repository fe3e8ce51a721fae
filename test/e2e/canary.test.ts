import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakePatient, startFakeLibreLinkUp, type FakeLibreLinkUp } from '../fakes/llu-server.js';
import { perTest } from '../fakes/per-test.js';
import { foreverRuns, runCli, tempDir } from './cli.js';
import { filesUnder } from './readings.js';

/**
 * Canaries: a password, a bearer token and a followed person's name that must never show where
 * they do not belong — `capture --json`, the files `capture --out` writes, `/readyz` without the
 * token (an error there can name the followed people) and the status page.
 */

const PASSWORD = 'canary-pw-5e1d9c';
const BEARER = 'canary-bearer-0b7a3f';
const FIRST = 'Canaryfirst';
const LAST = 'Canarylast';

const fakeLlu = perTest(startFakeLibreLinkUp);
const { forever, stop } = foreverRuns();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function env(llu: FakeLibreLinkUp, cwd: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONNECT_SOURCE: 'linkup',
    CONNECT_LINK_UP_USERNAME: llu.scenario.email,
    CONNECT_LINK_UP_PASSWORD: PASSWORD,
    CONNECT_LINK_UP_SERVER: llu.url,
    GLUCO_HUB__STATE_DIR: join(cwd, 'state'),
    GLUCO_HUB__FILESYSTEM__DIR: join(cwd, 'data'),
    ...extra,
  };
}

function expectNone(text: string, canaries: readonly string[], where: string): void {
  for (const canary of canaries) expect(text.includes(canary), `${where} holds "${canary}"`).toBe(false);
}

async function get(url: string, token?: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, body: await response.text() };
}

describe('canaries', () => {
  it('capture --json and the files capture --out writes carry no password and no vendor ticket', async () => {
    const llu = await fakeLlu({ password: PASSWORD, patients: [fakePatient({ firstName: FIRST, lastName: LAST })] });
    const cwd = tempDir('gh-canary-');
    const out = join(cwd, 'capture');
    const run = await runCli(['capture', '--json', '--out', out, '--log-level', 'trace'], { cwd, env: env(llu, cwd), timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(0);
    const secrets = [PASSWORD, ...llu.issuedTokens];
    expect(llu.issuedTokens.length).toBeGreaterThan(0);
    expectNone(run.stdout + run.stderr, secrets, 'capture --json');
    const files = filesUnder(out);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expectNone(readFileSync(file, 'utf8'), secrets, file);
  }, 60_000);

  it('/readyz without the token names nobody; the status page and /readyz with it carry no password, ticket or token', async () => {
    const llu = await fakeLlu({ password: PASSWORD, patients: [fakePatient({ firstName: FIRST, lastName: LAST })] });
    const cwd = tempDir('gh-canary-');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // Asking for someone the account does not follow: the error lists whom it does follow, by name and id.
    const run = forever(cwd, env(llu, cwd, { CONNECT_LINK_UP_PATIENT_NAME: 'Nobody Known', GLUCO_HUB__HTTP__ENABLED: 'true', GLUCO_HUB__HTTP__BIND: `127.0.0.1:${port}`, GLUCO_HUB__HTTP__BEARER_TOKEN: BEARER, GLUCO_HUB__LOG__FORMAT: 'json' }));
    await run.until((o) => o.stderr.includes(FIRST), 30_000);
    const patientId = llu.scenario.patients[0]!.patientId;

    const anonymous = await get(`${base}/readyz`);
    expect(anonymous.status).toBe(503);
    expectNone(anonymous.body, [FIRST, LAST, patientId, PASSWORD, BEARER, ...llu.issuedTokens], '/readyz without the token');

    const detailed = await get(`${base}/readyz`, BEARER);
    expect(detailed.body).toContain(FIRST);
    const page = await get(`${base}/`, BEARER);
    expect(page.status).toBe(200);
    for (const [what, body] of [['/readyz with the token', detailed.body], ['the status page', page.body]] as const) expectNone(body, [PASSWORD, BEARER, ...llu.issuedTokens], what);
    expect(await stop(run)).toBe(0);
    expectNone(run.output().stdout + run.output().stderr, [PASSWORD, BEARER, ...llu.issuedTokens], 'the log');
  }, 60_000);
});
