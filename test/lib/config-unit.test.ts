import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { regionOf, runtimeLocale, unitForLocale } from '../../lib/config/unit.js';
import { configLoader, failure } from './config-harness.js';

const { cwd, load } = configLoader('gh-config-unit-');
const MQTT = { GLUCO_HUB__MQTT__URL: 'mqtt://127.0.0.1:1883' };

describe('the locale decides the default unit', () => {
  it.each([
    ['en_GB.UTF-8', 'GB'],
    ['sv-SE', 'SE'],
    ['de_CH@euro', 'CH'],
    ['zh_Hans_CN.UTF-8', 'CN'],
    ['C.UTF-8', undefined],
    ['POSIX', undefined],
    ['fr', undefined],
  ])('%s has region %s', (locale, region) => {
    expect(regionOf(locale)).toBe(region);
  });

  it.each([
    ['en_GB.UTF-8', 'mmol'],
    ['en_CA.UTF-8', 'mmol'],
    ['nl_NL.UTF-8', 'mmol'],
    ['en_AU.UTF-8', 'mmol'],
    ['en_US.UTF-8', 'mgdl'],
    ['fr_FR.UTF-8', 'mgdl'],
    ['it_IT.UTF-8', 'mgdl'],
    ['de_DE.UTF-8', 'mgdl'],
    ['ja_JP.UTF-8', 'mgdl'],
  ] as const)('LANG=%s reads %s', (lang, unit) => {
    expect(unitForLocale({ LANG: lang }, 'en-US')).toBe(unit);
  });

  it('follows POSIX precedence: LC_ALL, then LC_MEASUREMENT, then LANG, then the runtime locale', () => {
    expect(unitForLocale({ LC_ALL: 'en_GB.UTF-8', LC_MEASUREMENT: 'en_US.UTF-8', LANG: 'en_US.UTF-8' }, 'en-US')).toBe('mmol');
    expect(unitForLocale({ LC_MEASUREMENT: 'en_US.UTF-8', LANG: 'en_GB.UTF-8' }, 'en-GB')).toBe('mgdl');
    expect(unitForLocale({ LC_ALL: '', LANG: 'sv_SE.UTF-8' }, 'en-US')).toBe('mmol');
    expect(unitForLocale({}, 'en-GB')).toBe('mmol');
    expect(unitForLocale({}, 'en-US')).toBe('mgdl');
  });

  it('asks the runtime for the same default locale as Intl.DateTimeFormat would give', () => {
    expect(runtimeLocale()).toBe(Intl.DateTimeFormat().resolvedOptions().locale);
  });

  it('is mg/dL where the locale names no region (C, POSIX)', () => {
    expect(unitForLocale({ LANG: 'C.UTF-8' }, 'en-GB')).toBe('mgdl');
  });
});

describe('GLUCO_HUB__UNIT', () => {
  it('defaults from the locale, for the status page and MQTT too', () => {
    const config = load({ LANG: 'en_GB.UTF-8', ...MQTT });
    expect(config.unit).toBe('mmol');
    expect(config.http.unit).toBe('mmol');
    expect(config.bridges[0]?.mqtt?.unit).toBe('mmol');
    expect(load({ LANG: 'en_US.UTF-8', ...MQTT }).bridges[0]?.mqtt?.unit).toBe('mgdl');
  });

  it('wins over the locale and is what every output uses', () => {
    const config = load({ LANG: 'en_US.UTF-8', GLUCO_HUB__UNIT: ' MMOL ', ...MQTT });
    expect([config.unit, config.http.unit, config.bridges[0]?.mqtt?.unit]).toEqual(['mmol', 'mmol', 'mmol']);
  });

  it('leaves GLUCO_HUB__HTTP__UNIT and GLUCO_HUB__MQTT__UNIT as per-output overrides', () => {
    const config = load({ GLUCO_HUB__UNIT: 'mmol', GLUCO_HUB__HTTP__UNIT: 'mgdl', ...MQTT });
    expect([config.unit, config.http.unit, config.bridges[0]?.mqtt?.unit]).toEqual(['mmol', 'mgdl', 'mmol']);
    expect(load({ GLUCO_HUB__UNIT: 'mgdl', GLUCO_HUB__MQTT__UNIT: 'mmol', ...MQTT }).bridges[0]?.mqtt?.unit).toBe('mmol');
  });

  it('is `unit:` in a config file, reaching every bridge of several', () => {
    const file = join(cwd, 'units.yaml');
    writeFileSync(
      file,
      'unit: mmol\nbridges:\n  - id: a\n    source: { kind: simulator }\n    mqtt: { url: "mqtt://127.0.0.1:1883", topicPrefix: a }\n  - id: b\n    source: { kind: simulator }\n    mqtt: { url: "mqtt://127.0.0.1:1883", topicPrefix: b, unit: mgdl }\n',
    );
    const config = load({ LANG: 'en_US.UTF-8' }, { config: file });
    expect(config.bridges.map((b) => b.mqtt?.unit)).toEqual(['mmol', 'mgdl']);
    expect(config.http.unit).toBe('mmol');
  });

  it('is refused once, naming the variable, when it is neither mgdl nor mmol', () => {
    const err = failure(() => load({ GLUCO_HUB__UNIT: 'mmol/L', ...MQTT }));
    expect(err.code).toBe('CFG006');
    expect(err.message).toContain('GLUCO_HUB__UNIT');
    expect(err.message.split('\n')).toHaveLength(1);
  });
});
