import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { Secret } from '../../lib/secret.js';
import { configLoader, failure } from './config-harness.js';

const { cwd, load } = configLoader('gh-config-');


describe('configuration with nothing set', () => {
  it('runs the simulator every 5 minutes into ./gluco-hub-data/simulator', () => {
    const config = load({});
    expect(config.bridges).toHaveLength(1);
    const [bridge] = config.bridges;
    expect(bridge?.id).toBe('simulator');
    expect(bridge?.source).toMatchObject({ kind: 'simulator', intervalSeconds: 300 });
    expect(bridge?.filesystem?.dir).toBe(join(cwd, 'gluco-hub-data', 'simulator'));
    expect(config.log).toEqual({ level: 'info', format: 'auto' });
    expect(config.stateDir).toBe(join(cwd, '.gluco-hub'));
  });

  it('writes files for the owner alone unless GLUCO_HUB__FILESYSTEM__MODE says otherwise (octal), alone or with a directory', () => {
    expect(load({}).bridges[0]?.filesystem?.mode).toBe(0o600);
    expect(load({ GLUCO_HUB__FILESYSTEM__MODE: '640' }).bridges[0]?.filesystem).toEqual({ dir: join(cwd, 'gluco-hub-data', 'simulator'), mode: 0o640 });
    expect(load({ GLUCO_HUB__FILESYSTEM__MODE: '0644', GLUCO_HUB__FILESYSTEM__DIR: 'out' }).bridges[0]?.filesystem).toEqual({ dir: join(cwd, 'out'), mode: 0o644 });
    expect(failure(() => load({ GLUCO_HUB__FILESYSTEM__MODE: 'rw-r-----' })).message).toMatch(/^\[CFG006\].*filesystem\.mode.*octal file mode/);
  });

  it('keeps state under $XDG_STATE_HOME when set, or GLUCO_HUB__STATE_DIR', () => {
    expect(load({ XDG_STATE_HOME: '/var/lib/me' }).stateDir).toBe('/var/lib/me/gluco-hub');
    expect(load({ XDG_STATE_HOME: '/var/lib/me', GLUCO_HUB__STATE_DIR: 'state' }).stateDir).toBe(join(cwd, 'state'));
  });
});

describe("nightscout-connect's environment names", () => {
  it('configure a LibreLink Up bridge (alias librelinkup), secrets masked', () => {
    const config = load({
      CONNECT_SOURCE: 'librelinkup',
      CONNECT_LINK_UP_USERNAME: 'me@example.com',
      CONNECT_LINK_UP_PASSWORD: '123456',
      CONNECT_LINK_UP_REGION: 'US',
    });
    const source = config.bridges[0]?.source;
    expect(source).toMatchObject({ kind: 'linkup', username: 'me@example.com', region: 'US' });
    expect(source && 'password' in source && source.password).toBeInstanceOf(Secret);
    expect(JSON.stringify(config)).not.toContain('123456');
  });

  it('configure a Dexcom Share bridge: region case-insensitive (eu = ous), intervals, numeric secrets stay strings', () => {
    const config = load({
      CONNECT_SOURCE: 'dexcomshare',
      CONNECT_SHARE_ACCOUNT_NAME: '+4915100000000',
      CONNECT_SHARE_PASSWORD: '123456',
      CONNECT_SHARE_REGION: 'OUS',
    });
    const source = config.bridges[0]?.source;
    expect(source).toMatchObject({ kind: 'dexcomshare', accountName: '+4915100000000', region: 'ous', intervalSeconds: 300, minIntervalSeconds: 60 });
    expect(source && 'password' in source && source.password).toBeInstanceOf(Secret);
    expect(JSON.stringify(config)).not.toContain('123456');
    const eu = load({ CONNECT_SOURCE: 'dexcomshare', CONNECT_SHARE_ACCOUNT_NAME: 'a', CONNECT_SHARE_PASSWORD: 'b', CONNECT_SHARE_REGION: 'eu', CONNECT_SHARE_INTERVAL_SECONDS: '150' });
    expect(eu.bridges[0]?.source).toMatchObject({ region: 'ous', intervalSeconds: 150 });
    expect(failure(() => load({ CONNECT_SOURCE: 'dexcomshare', CONNECT_SHARE_ACCOUNT_NAME: 'a', CONNECT_SHARE_PASSWORD: 'b', CONNECT_SHARE_REGION: 'mars' })).message).toMatch(/CONNECT_SHARE_REGION/);
  });

  it('configure a Glooko bridge: region (ENV or REGION, default = us, de = de-fr), IANA zone, fixed offset, the 2026 settings', () => {
    const config = load({
      CONNECT_SOURCE: 'glooko',
      CONNECT_GLOOKO_EMAIL: 'me@example.com',
      CONNECT_GLOOKO_PASSWORD: '123456',
      CONNECT_GLOOKO_ENV: 'EU',
      CONNECT_GLOOKO_TIMEZONE: 'Europe/Berlin',
      CONNECT_GLOOKO_TIMEZONE_OFFSET: '1',
      CONNECT_GLOOKO_AUTH_MODE: 'WEB',
      CONNECT_GLOOKO_LOOKBACK_DAYS: '30',
      CONNECT_GLOOKO_SKIP_ENTRIES: 'true',
      CONNECT_GLOOKO_USE_V3_GRAPH: 'false',
    });
    const source = config.bridges[0]?.source;
    expect(source).toMatchObject({ kind: 'glooko', email: 'me@example.com', region: 'eu', timezone: 'Europe/Berlin', timezoneOffset: 1, authMode: 'web', lookbackDays: 30, skipEntries: true, useV3Graph: false, intervalSeconds: 300 });
    expect(source && 'password' in source && source.password).toBeInstanceOf(Secret);
    expect(JSON.stringify(config)).not.toContain('123456');
    const base = { CONNECT_SOURCE: 'glooko', CONNECT_GLOOKO_EMAIL: 'a', CONNECT_GLOOKO_PASSWORD: 'b' };
    expect(load(base).bridges[0]?.source).toMatchObject({ region: 'us', authMode: 'auto', lookbackDays: 14, skipEntries: false, useV3Graph: true });
    expect(load({ ...base, CONNECT_GLOOKO_ENV: 'default' }).bridges[0]?.source).toMatchObject({ region: 'us' });
    expect(load({ ...base, CONNECT_GLOOKO_REGION: 'de' }).bridges[0]?.source).toMatchObject({ region: 'de-fr' });
    expect(failure(() => load({ ...base, CONNECT_GLOOKO_ENV: 'mars' })).message).toMatch(/CONNECT_GLOOKO_ENV/);
    expect(failure(() => load({ ...base, CONNECT_GLOOKO_TIMEZONE: 'Berlin Time' })).message).toMatch(/IANA.*CONNECT_GLOOKO_TIMEZONE/);
    expect(failure(() => load({ ...base, CONNECT_GLOOKO_LOOKBACK_DAYS: '365' })).message).toMatch(/CONNECT_GLOOKO_LOOKBACK_DAYS/);
  });

  it('accept carelink as an alias of minimedcarelink, and its names that still mean something', () => {
    const config = load({
      CONNECT_SOURCE: 'carelink',
      CONNECT_CARELINK_USERNAME: 'u',
      CONNECT_COUNTRY_CODE: 'gb',
      CONNECT_CARELINK_REGION: 'EU',
      CONNECT_CARELINK_SERVER: 'carelink.minimed.eu',
      CONNECT_CARELINK_PATIENT_USERNAME: 'pt_user1',
      CONNECT_LANGUAGE_CODE: 'de',
      CONNECT_CARELINK_INTERVAL_SECONDS: '120',
    });
    expect(config.bridges[0]?.source).toEqual({
      kind: 'minimedcarelink',
      username: 'u',
      countryCode: 'gb',
      region: 'eu',
      server: 'carelink.minimed.eu',
      patientUsername: 'pt_user1',
      languageCode: 'de',
      intervalSeconds: 120,
      minIntervalSeconds: 60,
    });
    expect(failure(() => load({ CONNECT_SOURCE: 'carelink', CONNECT_CARELINK_REGION: 'asia' })).message).toMatch(/CONNECT_CARELINK_REGION/);
    // The password still loads (masked), so the driver can refuse it with CL002 and explain the new login.
    const old = load({ CONNECT_SOURCE: 'minimedcarelink', CONNECT_CARELINK_PASSWORD: 'p' });
    expect(old.bridges[0]?.source).toMatchObject({ password: expect.any(Secret) as unknown });
  });

  it('set the Nightscout target by either name, and move ?token= out of the URL', () => {
    const config = load({ CONNECT_NIGHTSCOUT_URL: 'https://ns.example.com/?token=reader-abc123' });
    const ns = config.bridges[0]?.nightscout;
    expect(ns?.endpoint).toBe('https://ns.example.com/');
    expect(ns?.token?.reveal()).toBe('reader-abc123');
    expect(config.bridges[0]?.filesystem).toBeUndefined();
  });

  it('take the API secret from CONNECT_NIGHTSCOUT_API_SECRET too', () => {
    const config = load({ CONNECT_NIGHTSCOUT_ENDPOINT: 'https://ns.example.com', CONNECT_NIGHTSCOUT_API_SECRET: 'a-long-api-secret' });
    expect(config.bridges[0]?.nightscout?.apiSecret?.reveal()).toBe('a-long-api-secret');
  });

  it('read the simulator cadence in seconds', () => {
    expect(load({ CONNECT_SIMULATOR_INTERVAL: '1' }).bridges[0]?.source).toMatchObject({ intervalSeconds: 1 });
  });

  it('read every secret from *_FILE', () => {
    const file = join(cwd, 'llu-password');
    writeFileSync(file, 'from-a-file\n');
    const config = load({ CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: 'u', CONNECT_LINK_UP_PASSWORD_FILE: file });
    const source = config.bridges[0]?.source;
    expect(source?.kind === 'linkup' && source.password.reveal()).toBe('from-a-file');
  });
});

describe("the older bridges' names (share2nightscout-bridge BRIDGE_*, minimed-connect MMCONNECT_*)", () => {
  it('BRIDGE_* alone run a Dexcom Share bridge: US/EU pick the region, a host the server', () => {
    const config = load({ BRIDGE_USER_NAME: 'me@example.com', BRIDGE_PASSWORD: 'hunter22', BRIDGE_SERVER: 'EU' });
    const source = config.bridges[0]?.source;
    expect(source).toMatchObject({ kind: 'dexcomshare', accountName: 'me@example.com', region: 'ous' });
    expect(source?.kind === 'dexcomshare' && source.password.reveal()).toBe('hunter22');
    expect(load({ BRIDGE_USER_NAME: 'a', BRIDGE_PASSWORD: 'b', BRIDGE_SERVER: 'US' }).bridges[0]?.source).toMatchObject({ region: 'us' });
    expect(load({ BRIDGE_USER_NAME: 'a', BRIDGE_PASSWORD: 'b', BRIDGE_SERVER: 'share.example.org:8443' }).bridges[0]?.source).toMatchObject({ region: 'us', server: 'share.example.org:8443' });
  });

  it('CONNECT_* names win over BRIDGE_*, and CONNECT_SOURCE or a flag over the implied source', () => {
    const both = load({ CONNECT_SOURCE: 'dexcomshare', CONNECT_SHARE_ACCOUNT_NAME: 'new', CONNECT_SHARE_PASSWORD: 'new-pw', BRIDGE_USER_NAME: 'old', BRIDGE_PASSWORD: 'old-pw' });
    expect(both.bridges[0]?.source).toMatchObject({ accountName: 'new' });
    const other = load({ CONNECT_SOURCE: 'simulator', BRIDGE_USER_NAME: 'old', BRIDGE_PASSWORD: 'old-pw' });
    expect(other.bridges[0]?.source.kind).toBe('simulator');
    expect(load({ BRIDGE_USER_NAME: 'old', BRIDGE_PASSWORD: 'pw' }, { source: 'simulator' }).bridges[0]?.source.kind).toBe('simulator');
  });

  it('MMCONNECT_* name a CareLink bridge', () => {
    const config = load({ MMCONNECT_USER_NAME: 'carer', MMCONNECT_PASSWORD: 'pw', MMCONNECT_COUNTRYCODE: 'gb', MMCONNECT_SERVER: 'EU' });
    // The region is normalised (`EU` → `eu`); the password loads so the driver can refuse it with CL002.
    expect(config.bridges[0]?.source).toMatchObject({ kind: 'minimedcarelink', username: 'carer', countryCode: 'gb', region: 'eu', password: expect.any(Secret) as unknown });
  });
});

describe('gluco-hub names and precedence', () => {
  it('GLUCO_HUB__SECTION__KEY sets any setting', () => {
    const config = load({ GLUCO_HUB__LOG__LEVEL: 'debug', GLUCO_HUB__FILESYSTEM__DIR: 'out', GLUCO_HUB__SOURCE__INTERVAL_SECONDS: '7' });
    expect(config.log.level).toBe('debug');
    expect(config.bridges[0]?.filesystem?.dir).toBe(join(cwd, 'out'));
    expect(config.bridges[0]?.source).toMatchObject({ intervalSeconds: 7 });
  });

  it('CLI flags > environment > config file > defaults', () => {
    const file = join(cwd, 'layered.yaml');
    writeFileSync(file, '# comments are fine\nlog: { level: warn, format: json }\nsource: { kind: simulator, intervalSeconds: 60, seed: 9 }\n');
    const fileOnly = loadConfig({ env: {}, cli: { config: file }, cwd });
    expect(fileOnly.log.level).toBe('warn');
    expect(fileOnly.bridges[0]?.source).toMatchObject({ intervalSeconds: 60, seed: 9 });
    const envWins = loadConfig({ env: { CONNECT_SIMULATOR_INTERVAL: '30', GLUCO_HUB__LOG__LEVEL: 'error' }, cli: { config: file }, cwd });
    expect(envWins.bridges[0]?.source).toMatchObject({ intervalSeconds: 30, seed: 9 });
    expect(envWins.log.level).toBe('error');
    const cliWins = loadConfig({ env: { CONNECT_SIMULATOR_INTERVAL: '30' }, cli: { config: file, simulatorInterval: 2, logLevel: 'debug' }, cwd });
    expect(cliWins.bridges[0]?.source).toMatchObject({ intervalSeconds: 2 });
    expect(cliWins.log.level).toBe('debug');
  });

  it('a config file defines several bridges, each with its own outputs and secret files', () => {
    const secretFile = join(cwd, 'bob-secret');
    writeFileSync(secretFile, 'bob-pass\n');
    const file = join(cwd, 'many.json');
    writeFileSync(
      file,
      JSON.stringify({
        bridges: [
          { id: 'alice', source: { kind: 'simulator', seed: 1 }, filesystem: { dir: 'alice' } },
          { id: 'bob', source: { kind: 'linkup', username: 'bob@example.com', passwordFile: 'bob-secret' } },
        ],
      }),
    );
    const config = loadConfig({ env: {}, cli: { config: file }, cwd });
    expect(config.bridges.map((b) => b.id)).toEqual(['alice', 'bob']);
    const bob = config.bridges[1];
    expect(bob?.source.kind === 'linkup' && bob.source.password.reveal()).toBe('bob-pass');
    expect(bob?.filesystem?.dir).toBe(join(cwd, 'gluco-hub-data', 'bob'));
  });
});

describe('bad configuration gives coded, actionable errors', () => {
  it('an unknown source lists the known ones', () => {
    const err = failure(() => load({ CONNECT_SOURCE: 'freestyle' }));
    expect(err.code).toBe('CFG001');
    expect(err.toUserLine()).toMatch(/unknown source "freestyle".*simulator, linkup, dexcomshare, nightscout, glooko, minimedcarelink/);
  });

  it('missing credentials name the variables to set', () => {
    const err = failure(() => load({ CONNECT_SOURCE: 'linkup' }));
    expect(err.code).toBe('CFG003');
    expect(err.message).toContain('CONNECT_LINK_UP_USERNAME');
    expect(err.message).toContain('CONNECT_LINK_UP_PASSWORD_FILE');
  });

  it('a malformed URL names the setting', () => {
    const err = failure(() => load({ CONNECT_NIGHTSCOUT_ENDPOINT: 'ns.example.com' }));
    expect(err.code).toBe('CFG002');
    expect(err.message).toContain('CONNECT_NIGHTSCOUT_ENDPOINT');
  });

  it('an unreadable *_FILE says which', () => {
    const err = failure(() => load({ CONNECT_API_SECRET_FILE: join(cwd, 'missing'), CONNECT_NIGHTSCOUT_ENDPOINT: 'https://x.example' }));
    expect(err.code).toBe('CFG004');
    expect(err.message).toContain('CONNECT_API_SECRET_FILE');
  });

  it('an invalid config file names the file and line', () => {
    const file = join(cwd, 'broken.yaml');
    writeFileSync(file, 'source:\n  kind: [simulator\n');
    const err = failure(() => loadConfig({ env: {}, cli: { config: file }, cwd }));
    expect(err.code).toBe('CFG005');
    expect(err.message).toContain(file);
  });

  it('an unclosed { names the line that opened it, not the line where the parser gave up', () => {
    const file = join(cwd, 'unclosed.yaml');
    writeFileSync(file, 'log:\n  level: info\nsource: { kind: simulator\nhttp:\n  bind: 127.0.0.1:8080\n');
    const err = failure(() => loadConfig({ env: {}, cli: { config: file }, cwd }));
    expect(err.code).toBe('CFG005');
    expect(err.message).toContain('the "{" at line 3, column 9 is never closed');
    expect(err.hint).toBe('add the missing "}" where that value ends');
  });

  it('a missing config file', () => {
    expect(failure(() => loadConfig({ env: {}, cli: { config: 'nope.yaml' }, cwd })).code).toBe('CFG005');
  });

  it('environment source settings next to a multi-bridge file are refused, not ignored', () => {
    const file = join(cwd, 'two.yaml');
    writeFileSync(file, 'bridges:\n  - id: a\n    source: { kind: simulator }\n');
    expect(failure(() => loadConfig({ env: { CONNECT_SOURCE: 'simulator' }, cli: { config: file }, cwd })).code).toBe('CFG007');
  });

  it('duplicate bridge ids and bad values', () => {
    const file = join(cwd, 'dup.yaml');
    writeFileSync(file, 'bridges:\n  - id: a\n    source: { kind: simulator }\n  - id: a\n    source: { kind: simulator, intervalSeconds: 0 }\n');
    const err = failure(() => loadConfig({ env: {}, cli: { config: file }, cwd }));
    expect(err.message).toContain('bridges[1].source.intervalSeconds');
    expect(err.message).toContain('bridge id "a" is used twice');
  });
});

describe('Nightscout URLs', () => {
  const token = 'uploader-0123456789abcdef';

  it('moves an access token from ?token= into the token secret, so the URL holds no secret', () => {
    const config = load({ CONNECT_NIGHTSCOUT_ENDPOINT: `https://ns.example/site/?token=${token}` });
    const target = config.bridges[0]?.nightscout;
    expect(target?.endpoint).toBe('https://ns.example/site/');
    expect(target?.token).toBeInstanceOf(Secret);
    expect(target?.token?.reveal()).toBe(token);
    expect(JSON.stringify(config)).not.toContain(token);
    expect(target?.api).toBe('auto');
  });

  it('lets an explicit token win over the one in the URL, for a source too', () => {
    const config = load({ CONNECT_SOURCE: 'nightscout', CONNECT_SOURCE_ENDPOINT: 'https://src.example/?token=old-0123456789abcdef', CONNECT_SOURCE_TOKEN: token });
    const source = config.bridges[0]?.source;
    expect(source?.kind === 'nightscout' && source.token?.reveal()).toBe(token);
    expect(source?.kind === 'nightscout' && source.endpoint).toBe('https://src.example/');
  });

  it('says how to fix a URL without a scheme, without printing a token', () => {
    const error = failure(() => load({ CONNECT_NIGHTSCOUT_ENDPOINT: `ns.example/?token=${token}`, CONNECT_API_SECRET: 'abcdefghijkl' }));
    expect(error.code).toBe('CFG002');
    expect(error.message).toContain('has no scheme');
    expect(error.message).toContain('https://ns.example/?token=***');
    expect(error.message).not.toContain(token);
  });
});

describe('credentials in a Nightscout URL', () => {
  const password = 's3cretpw-9f8e7d';

  it('the target: refused with CFG008, which names the token and API-secret settings and never the password', () => {
    for (const endpoint of [`https://alice:${password}@ns.example`, `https://${password}@ns.example/api/v1`, `http://alice:${password}@127.0.0.1:1337`]) {
      const error = failure(() => load({ CONNECT_NIGHTSCOUT_ENDPOINT: endpoint, CONNECT_API_SECRET: 'abcdefghijkl' }));
      expect(error.code, endpoint).toBe('CFG008');
      expect(error.message).toContain('CONNECT_NIGHTSCOUT_ENDPOINT');
      expect(error.message).toContain('CONNECT_NIGHTSCOUT_TOKEN');
      expect(error.message).toContain('CONNECT_API_SECRET');
      expect(error.message).not.toContain(password);
      expect(error.message).not.toContain('alice');
      expect(String(error.stack)).not.toContain(password);
    }
  });

  it('the source: names CONNECT_SOURCE_TOKEN and CONNECT_SOURCE_API_SECRET', () => {
    const error = failure(() => load({ CONNECT_SOURCE: 'nightscout', CONNECT_SOURCE_ENDPOINT: `https://bob:${password}@their-site.example` }));
    expect(error.code).toBe('CFG008');
    expect(error.message).toContain('CONNECT_SOURCE_ENDPOINT');
    expect(error.message).toContain('CONNECT_SOURCE_TOKEN');
    expect(error.message).toContain('CONNECT_SOURCE_API_SECRET');
    expect(error.message).not.toContain(password);
  });

  it('in a multi-bridge config file: names the keys of that bridge', () => {
    const file = join(cwd, 'creds.yaml');
    writeFileSync(file, ['bridges:', '  - id: a', '    source: { kind: simulator }', `    nightscout: { endpoint: "https://u:${password}@ns.example", apiSecret: abcdefghijkl }`].join('\n'));
    const error = failure(() => loadConfig({ env: {}, cli: { config: file }, cwd }));
    expect(error.code).toBe('CFG008');
    expect(error.message).toContain('bridges[0].nightscout.token in the config file');
    expect(error.message).toContain('bridges[0].nightscout.apiSecret in the config file');
    expect(error.message).not.toContain(password);
  });
});

describe('several bridges on one MQTT broker', () => {
  it('refuses two bridges with the same topic prefix, which would overwrite each other', () => {
    const file = join(cwd, 'two-bridges.yaml');
    writeFileSync(
      file,
      ['bridges:', '  - id: alice', '    source: { kind: simulator }', '    mqtt: { url: "mqtt://127.0.0.1:1883" }', '  - id: bob', '    source: { kind: simulator, seed: 2 }', '    mqtt: { url: "mqtt://127.0.0.1:1883" }'].join('\n'),
    );
    const error = failure(() => loadConfig({ env: {}, cli: { config: file }, cwd }));
    expect(error.code).toBe('CFG006');
    expect(error.message).toContain('same MQTT topic prefix');
  });
});
