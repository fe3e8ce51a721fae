import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { followedPatients } from '../../lib/config/schema.js';
import { configLoader, failure } from './config-harness.js';

const { cwd, load } = configLoader('gh-config-follow-');

const LINKUP = { CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: 'parent@example.com', CONNECT_LINK_UP_PASSWORD: 'pw' };

function fromFile(name: string, yaml: string): ReturnType<typeof loadConfig> {
  const file = join(cwd, name);
  writeFileSync(file, yaml);
  return loadConfig({ env: {}, cli: { config: file }, cwd });
}

describe('following everyone an account follows', () => {
  it('CONNECT_LINK_UP_PATIENT_ID=all (any case) means patients: all, not a patient called "all"', () => {
    for (const value of ['all', 'ALL', ' All ']) {
      const source = load({ ...LINKUP, CONNECT_LINK_UP_PATIENT_ID: value }).bridges[0]?.source;
      expect(source).toMatchObject({ kind: 'linkup', patients: 'all' });
      expect(source?.kind === 'linkup' && source.patientId).toBeUndefined();
    }
  });

  it('CONNECT_CARELINK_PATIENT_USERNAME=all does the same for a CareLink care partner', () => {
    const source = load({ CONNECT_SOURCE: 'carelink', CONNECT_CARELINK_PATIENT_USERNAME: 'all', CONNECT_COUNTRY_CODE: 'gb' }).bridges[0]?.source;
    expect(source).toMatchObject({ kind: 'minimedcarelink', patients: 'all' });
    expect(source?.kind === 'minimedcarelink' && source.patientUsername).toBeUndefined();
  });

  it('a single patient id stays a pin, as before', () => {
    const source = load({ ...LINKUP, CONNECT_LINK_UP_PATIENT_ID: 'p-1' }).bridges[0]?.source;
    expect(source).toMatchObject({ patientId: 'p-1' });
    expect(source?.kind === 'linkup' && source.patients).toBeUndefined();
  });

  it('reads patients: all or a list of ids from the config file, with a person map', () => {
    const config = fromFile(
      'kids.yaml',
      [
        'source: { kind: linkup, username: parent@example.com, password: pw, patients: [id-anna, id-ben] }',
        'mqtt: { url: "mqtt://broker.lan" }',
        'people:',
        '  id-anna: { nightscout: { endpoint: "https://anna.example.test?token=anna-token" } }',
        '',
      ].join('\n'),
    );
    const [bridge] = config.bridges;
    expect(bridge?.source).toMatchObject({ patients: ['id-anna', 'id-ben'] });
    // The token in the URL moves into its masked setting, as for the bridge's own Nightscout.
    expect(bridge?.people?.['id-anna']?.nightscout?.endpoint).toBe('https://anna.example.test/');
    expect(bridge?.people?.['id-anna']?.nightscout?.token?.reveal()).toBe('anna-token');
    expect(fromFile('all.yaml', 'source: { kind: linkup, username: u@example.com, password: pw, patients: all }\n').bridges[0]?.source).toMatchObject({ patients: 'all' });
  });

  it('refuses one Nightscout site for several people (CFG010): it would mix their glucose', () => {
    const err = failure(() => load({ ...LINKUP, CONNECT_LINK_UP_PATIENT_ID: 'all', CONNECT_NIGHTSCOUT_ENDPOINT: 'https://shared.example.test', CONNECT_NIGHTSCOUT_TOKEN: 't' }));
    expect(err.code).toBe('CFG010');
    expect(err.message).toMatch(/mix their glucose.*people\.<patient id>\.nightscout/);
  });

  it('refuses a person map naming someone not in the patients list (CFG009), and a map without patients', () => {
    const typo = failure(() =>
      fromFile('typo.yaml', 'source: { kind: linkup, username: u@example.com, password: pw, patients: [id-anna] }\npeople: { id-anan: {} }\n'),
    );
    expect(typo.code).toBe('CFG009');
    expect(typo.message).toMatch(/people\.id-anan.*not in source\.patients \(id-anna\)/);
    const stray = failure(() => fromFile('stray.yaml', 'source: { kind: linkup, username: u@example.com, password: pw }\npeople: { anna: {} }\n'));
    expect(stray.code).toBe('CFG009');
  });

  it('follows several people in a fleet too (state in Redis): the account is one lease, its people run where it runs', () => {
    expect(followedPatients(load({ ...LINKUP, CONNECT_LINK_UP_PATIENT_ID: 'all', GLUCO_HUB__STATE__URL: 'redis://127.0.0.1:6379' }).bridges[0]!.source)).toBe('all');
  });

  it('accepts any person key with patients: all (who is followed is known only at run time)', () => {
    const config = fromFile('any.yaml', 'source: { kind: linkup, username: u@example.com, password: pw, patients: all }\npeople: { "Anna Smith": { nightscout: { endpoint: "https://anna.example.test", token: t } } }\n');
    expect(Object.keys(config.bridges[0]?.people ?? {})).toEqual(['Anna Smith']);
    // A per-person site counts as an output: no default folder is added beside it.
    expect(config.bridges[0]?.filesystem).toBeUndefined();
  });
});

describe('inside Nightscout (the plugin)', () => {
  it('refuses to follow several people into the one site (CFG010)', () => {
    const err = failure(() => loadConfig({ env: { ...LINKUP, CONNECT_LINK_UP_PATIENT_ID: 'all' }, cwd, embedded: true }));
    expect(err.code).toBe('CFG010');
    expect(err.message).toMatch(/cannot follow several people/);
    expect(loadConfig({ env: { ...LINKUP, CONNECT_LINK_UP_PATIENT_ID: 'p-1' }, cwd, embedded: true }).bridges[0]?.source).toMatchObject({ patientId: 'p-1' });
  });
});

describe('the example in docs/sources/librelinkup.md', () => {
  it('loads: a parent following two children, each with their own Nightscout', () => {
    const page = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'sources', 'librelinkup.md'), 'utf8');
    const yaml = /## Following everyone[\s\S]*?```yaml\n([\s\S]*?)```/.exec(page)?.[1];
    expect(yaml).toBeDefined();
    for (const name of ['llu-password', 'anna-ns-token', 'ben-ns-token']) writeFileSync(join(cwd, name), `${name}-value\n`);
    const config = fromFile('example.yaml', yaml!.replaceAll('/run/secrets/', `${cwd}/`).replaceAll('/var/lib/gluco-hub', cwd));
    const [bridge] = config.bridges;
    expect(bridge?.id).toBe('linkup');
    expect(bridge?.source).toMatchObject({ kind: 'linkup', patients: 'all', region: 'EU2' });
    expect(bridge?.source.kind === 'linkup' && bridge.source.password.reveal()).toBe('llu-password-value');
    expect(bridge?.people?.['Anna Smith']?.nightscout?.token?.reveal()).toBe('anna-ns-token-value');
    expect(bridge?.people?.['7d41e0aa']?.nightscout?.endpoint).toBe('https://ben.example.org');
    expect(bridge?.nightscout).toBeUndefined();
    expect(bridge?.mqtt?.discovery).toBe(true);
  });
});

describe('the example in docs/sources/carelink.md', () => {
  it('loads: a care partner following every linked patient, each with their own Nightscout', () => {
    const page = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'sources', 'carelink.md'), 'utf8');
    const yaml = /## Several patients, one care partner[\s\S]*?```yaml\n([\s\S]*?)```/.exec(page)?.[1];
    expect(yaml).toBeDefined();
    for (const name of ['anna-ns-token', 'ben-ns-token']) writeFileSync(join(cwd, name), `${name}-value\n`);
    const [bridge] = fromFile('carelink-example.yaml', yaml!.replaceAll('/run/secrets/', `${cwd}/`)).bridges;
    expect(bridge?.id).toBe('minimedcarelink');
    expect(bridge?.source).toMatchObject({ kind: 'minimedcarelink', patients: 'all' });
    expect(bridge?.people?.pt_ben002?.nightscout?.token?.reveal()).toBe('ben-ns-token-value');
  });
});
