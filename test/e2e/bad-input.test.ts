import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './cli.js';

/** A user's own mistake: one coded line naming the problem and the fix, exit 2, no stack trace. */
async function expectConfigError(env: Record<string, string>, code: string, mentions: string[] = [], args = ['forever']) {
  const cwd = tempDir();
  const run = await runCli(args, { cwd, env });
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toContain(`[${code}]`);
  for (const m of mentions) expect(run.stderr).toContain(m);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).toBe('');
  return run;
}

describe('bad input at start-up', () => {
  it('an unknown source lists the known ones', async () => {
    await expectConfigError({ CONNECT_SOURCE: 'freestyle' }, 'CFG001', ['freestyle', 'simulator, linkup']);
  });

  it('missing credentials for a real source name the variables', async () => {
    await expectConfigError({ CONNECT_SOURCE: 'dexcomshare' }, 'CFG003', ['CONNECT_SHARE_ACCOUNT_NAME', 'CONNECT_SHARE_PASSWORD']);
  });

  it('a malformed URL', async () => {
    await expectConfigError({ CONNECT_NIGHTSCOUT_ENDPOINT: 'my-site.herokuapp' }, 'CFG002', ['CONNECT_NIGHTSCOUT_ENDPOINT']);
  });

  it('an unreadable *_FILE', async () => {
    await expectConfigError(
      { CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: 'me@example.com', CONNECT_LINK_UP_PASSWORD_FILE: '/nonexistent/llu' },
      'CFG004',
      ['CONNECT_LINK_UP_PASSWORD_FILE'],
    );
  });

  it('an invalid config file', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'bridges: [ { id: a, source: { kind: simulator }\n');
    await expectConfigError({}, 'CFG005', [file], ['forever', '--config', file]);
  });

  it('a Nightscout output without a token or a secret fails at start-up with NS001', async () => {
    await expectConfigError({ CONNECT_NIGHTSCOUT_URL: 'https://ns.example.com' }, 'NS001', ['CONNECT_NIGHTSCOUT_TOKEN', 'CONNECT_API_SECRET']);
  });

  it('API v3 asked for with only the API secret fails at start-up with NS015', async () => {
    await expectConfigError(
      { CONNECT_NIGHTSCOUT_URL: 'https://ns.example.com', CONNECT_API_SECRET: 'a-plain-api-secret', GLUCO_HUB__NIGHTSCOUT__API: 'v3' },
      'NS015',
      ['CONNECT_NIGHTSCOUT_TOKEN'],
    );
  });

  it('an unwritable data directory fails at start-up, not later', async () => {
    const dir = tempDir();
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, '');
    await expectConfigError({ GLUCO_HUB__FILESYSTEM__DIR: join(blocker, 'data') }, 'FS001', [blocker]);
  });

  it('a password in a Nightscout URL: CFG008 names the token and secret settings, and neither forever nor check-config prints it', async () => {
    const password = 's3cretpw-5e4d3c';
    for (const args of [['forever'], ['check-config']]) {
      const run = await expectConfigError({ CONNECT_NIGHTSCOUT_ENDPOINT: `https://alice:${password}@ns.example` }, 'CFG008', ['CONNECT_NIGHTSCOUT_TOKEN', 'CONNECT_API_SECRET'], args);
      expect(run.stderr).not.toContain(password);
    }
    const source = await expectConfigError(
      { CONNECT_SOURCE: 'nightscout', CONNECT_SOURCE_ENDPOINT: `https://${password}@their-site.example` },
      'CFG008',
      ['CONNECT_SOURCE_TOKEN', 'CONNECT_SOURCE_API_SECRET'],
      ['check-config'],
    );
    expect(source.stderr).not.toContain(password);
  });

  it('a password in a vendor server URL is refused the same way, without printing it', async () => {
    const run = await expectConfigError(
      { CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: 'me@example.com', CONNECT_LINK_UP_PASSWORD: 'x', CONNECT_LINK_UP_SERVER: 'https://bob:pw-7a6b5c@llu.example' },
      'LLU002',
      ['without a user name or password'],
      ['check-config'],
    );
    expect(run.stderr).not.toContain('pw-7a6b5c');
  });

  it('--http with a port above 65535 says the port is out of range', async () => {
    await expectConfigError({}, 'CFG006', ['port 99999 is out of range: use 1–65535', '--http'], ['forever', '--http', '127.0.0.1:99999']);
  });

  it('check-config fails the same way', async () => {
    await expectConfigError({ CONNECT_SOURCE: 'linkup' }, 'CFG003', ['CONNECT_LINK_UP_USERNAME'], ['check-config']);
  });

  it('an unknown command or option exits 2 with usage help', async () => {
    const run = await runCli(['forevr'], { cwd: tempDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('forever');
  });
});
