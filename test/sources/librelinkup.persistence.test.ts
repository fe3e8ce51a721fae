import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStateStore } from '../../lib/state-store.js';
import { createLibreLinkUpDriver, STATE_KEYS, type LluSession } from '../../sources/librelinkup/index.js';
import type { SourceDriver } from '../../lib/contracts/source.js';
import { tempDir } from '../e2e/cli.js';
import { testDriverContext } from '../fakes/driver-context.js';
import { faultyDisk } from '../fakes/faulty-disk.js';
import { captureLog, establish, fixture, LOGIN_TOKEN, NOW, PATIENT_ID, rejection, SERVER, settings, signal } from '../fixtures/librelinkup/harness.js';

/**
 * The driver against the real state store on a disk that fails: persisting a ticket or a lockout
 * is best effort, so a full or read-only state directory costs a login after a restart, never
 * the readings.
 */

const LOGIN = '/llu/auth/login';
const CONNECTIONS = '/llu/connections';

function onDisk() {
  const dir = tempDir();
  const disk = faultyDisk();
  const captured = captureLog();
  const state = createStateStore(dir, captured.log, { disk, now: () => NOW });
  const ctx = testDriverContext(() => NOW, { state, log: captured.log });
  const driver = createLibreLinkUpDriver(settings({ server: SERVER }), ctx, { rand: () => 0.5 }) as SourceDriver<unknown, LluSession>;
  const warnings = () => captured.lines().filter((line) => line.level === 40) as { msg: string; err?: { code?: string; cause?: string } }[];
  return { dir, disk, state, driver, warnings };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('LibreLink Up when the state directory fails at runtime', () => {
  it.each([
    ['full', 'ENOSPC'],
    ['read-only', 'EROFS'],
  ] as const)('uses the login when the disk is %s, and warns with STATE003', async (_name, code) => {
    const { dir, disk, driver, warnings } = onDisk();
    disk.fail({ op: 'open', code });
    disk.fail({ op: 'unlink', code });
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success')).get(CONNECTIONS).reply(200, fixture('connections'));

    const session = await establish(driver);
    expect(session).toMatchObject({ patientId: PATIENT_ID, restored: false });
    expect(session.token.reveal()).toBe(LOGIN_TOKEN);
    expect(nock.isDone()).toBe(true);
    expect(warnings()).toEqual([
      expect.objectContaining({ msg: 'could not persist the LibreLink Up session', err: expect.objectContaining({ code: 'STATE003', cause: expect.stringContaining(code) }) }),
    ]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('still reports a lockout when it cannot be persisted', async () => {
    const { disk, driver, warnings } = onDisk();
    disk.fail({ op: 'write', code: 'ENOSPC', partial: 3 });
    nock(SERVER).post(LOGIN).reply(200, fixture('login-locked'));
    expect(await rejection(driver.session.authenticate(signal()))).toMatchObject({ code: 'LLU005' });
    expect(warnings()).toEqual([expect.objectContaining({ msg: 'could not persist the LibreLink Up lockout', err: expect.objectContaining({ code: 'STATE003' }) })]);
  });

  it('persists again once the disk has space', async () => {
    const { disk, state, driver } = onDisk();
    disk.fail({ op: 'write', code: 'ENOSPC' });
    nock(SERVER).post(LOGIN).twice().reply(200, fixture('login-success'));
    await driver.session.authenticate(signal());
    expect(await state.read(STATE_KEYS.session)).toBeUndefined();

    disk.heal();
    await driver.session.authenticate(signal());
    expect(await state.read(STATE_KEYS.session)).toMatchObject({ token: LOGIN_TOKEN });
  });

  it('logs in afresh over a corrupt ticket file, with one STATE004 warning, and replaces it', async () => {
    const { dir, state, driver, warnings } = onDisk();
    writeFileSync(join(dir, `${STATE_KEYS.session}.json`), '{"token":"trunc');
    nock(SERVER).post(LOGIN).reply(200, fixture('login-success'));
    const auth = (await driver.session.authenticate(signal())) as { restored: boolean };
    expect(auth.restored).toBe(false);
    expect(warnings()).toEqual([expect.objectContaining({ err: expect.objectContaining({ code: 'STATE004' }) })]);
    expect(await state.read(STATE_KEYS.session)).toMatchObject({ token: LOGIN_TOKEN });
    expect(readdirSync(dir).sort()).toEqual([`${STATE_KEYS.session}.json`, `${STATE_KEYS.session}.json.corrupt-${NOW}`]);
  });
});
