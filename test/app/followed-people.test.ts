import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bridgeSchema } from '../../lib/config/schema.js';
import {
  personBridge,
  personBridgeId,
  personBridgeIdsIn,
  personSettings,
  personSlugs,
  reconcilePeople,
  unmatchedPeopleKeys,
  wantedPeople,
  type Person,
} from '../../app/followed-people.js';

const ANNA: Person = { patientId: '3F2A9C1B-0000-4000-8000-00000000000A', name: 'Anna Smith' };
const BEN: Person = { patientId: '7d41e0aa-0000-4000-8000-00000000000b', name: 'Ben Smith' };
const CARL: Person = { patientId: 'c0ffee00-1111-4000-8000-00000000000c', name: '' };

describe('personSlugs', () => {
  it('takes the first 8 letters and digits of the patient id, lower-case', () => {
    expect(personSlugs([ANNA.patientId, BEN.patientId])).toEqual(new Map([[ANNA.patientId, '3f2a9c1b'], [BEN.patientId, '7d41e0aa']]));
  });

  it('does not depend on the name or on who else is followed, unless ids share their first 8 characters', () => {
    const alone = personSlugs([ANNA.patientId]).get(ANNA.patientId);
    expect(personSlugs([BEN.patientId, CARL.patientId, ANNA.patientId]).get(ANNA.patientId)).toBe(alone);
  });

  it('lengthens the slugs of ids that share a prefix until they differ', () => {
    const a = 'abcdef01-2222-0000-0000-000000000000';
    const b = 'abcdef01-3333-0000-0000-000000000000';
    const slugs = personSlugs([a, b]);
    expect(slugs.get(a)).toBe('abcdef012');
    expect(slugs.get(b)).toBe('abcdef013');
  });

  it('keeps ids that differ only in case or punctuation apart, and names an id without letters or digits', () => {
    const slugs = personSlugs(['ABCDEF01', 'abcdef01', '--']);
    expect(new Set(slugs.values()).size).toBe(3);
    expect(slugs.get('--')).toBe('person');
    for (const slug of slugs.values()) expect(personBridgeId('kids', slug)).toMatch(/^kids-[a-z0-9-]+$/);
  });
});

describe('reconcilePeople', () => {
  it('starts everyone at first', () => {
    expect(reconcilePeople([], [ANNA, BEN])).toEqual({ added: [ANNA, BEN], removed: [] });
  });

  it('starts the newly listed and retires the no longer listed, leaving the others alone', () => {
    expect(reconcilePeople([ANNA.patientId, BEN.patientId], [BEN, CARL])).toEqual({ added: [CARL], removed: [ANNA.patientId] });
    expect(reconcilePeople([ANNA.patientId], [ANNA])).toEqual({ added: [], removed: [] });
  });

  it('starts a person listed twice once', () => {
    expect(reconcilePeople([], [ANNA, ANNA]).added).toEqual([ANNA]);
  });

  it('retires everyone when the account follows nobody', () => {
    expect(reconcilePeople([ANNA.patientId, BEN.patientId], [])).toEqual({ added: [], removed: [ANNA.patientId, BEN.patientId] });
  });
});

describe('wantedPeople', () => {
  it('is everyone with `all`, and only the listed ids otherwise', () => {
    expect(wantedPeople([ANNA, BEN], 'all')).toEqual([ANNA, BEN]);
    expect(wantedPeople([ANNA, BEN], [BEN.patientId, 'not-followed'])).toEqual([BEN]);
  });
});

const bridge = bridgeSchema.parse({
  id: 'kids',
  source: { kind: 'linkup', username: 'parent@example.test', password: 'pw', patients: 'all' },
  filesystem: { dir: '/data/kids' },
  mqtt: { url: 'mqtt://broker.lan', topicPrefix: 'home/glucose', discovery: true },
  people: {
    [ANNA.patientId]: { nightscout: { endpoint: 'https://anna.example.test', token: 'anna-token' } },
    'ben smith': { nightscout: { endpoint: 'https://ben.example.test', token: 'ben-token' } },
    ghost: { nightscout: { endpoint: 'https://ghost.example.test' } },
  },
});

describe('personSettings', () => {
  it('finds a person by patient id, slug or name (case and spaces aside)', () => {
    expect(personSettings(bridge.people, ANNA, '3f2a9c1b')?.key).toBe(ANNA.patientId);
    expect(personSettings(bridge.people, BEN, '7d41e0aa')?.key).toBe('ben smith');
    expect(personSettings({ '7D41E0AA': {} }, BEN, '7d41e0aa')?.key).toBe('7D41E0AA');
    expect(personSettings(bridge.people, CARL, 'c0ffee00')).toBeUndefined();
  });

  it('names the keys that match nobody followed', () => {
    const slugs = personSlugs([ANNA.patientId, BEN.patientId]);
    expect(unmatchedPeopleKeys(bridge.people, [ANNA, BEN], slugs)).toEqual(['ghost']);
    expect(unmatchedPeopleKeys(bridge.people, [ANNA], slugs)).toEqual(['ben smith', 'ghost']);
  });
});

describe('personBridge', () => {
  it('gives each person their own id, Nightscout, folder and MQTT topic prefix, pinned to them', () => {
    const anna = personBridge(bridge, ANNA, '3f2a9c1b');
    expect(anna.id).toBe('kids-3f2a9c1b');
    expect(anna.nightscout?.endpoint).toBe('https://anna.example.test');
    expect(anna.filesystem?.dir).toBe(join('/data/kids', '3f2a9c1b'));
    expect(anna.mqtt?.topicPrefix).toBe('home/glucose/3f2a9c1b');
    expect(anna.mqtt?.discovery).toBe(true);
    expect(anna.people).toBeUndefined();
    expect(anna.source).toMatchObject({ kind: 'linkup', patientId: ANNA.patientId, patientName: 'Anna Smith', patients: undefined });
  });

  it('gives a person without a `people` entry no Nightscout at all, never another person\'s', () => {
    const carl = personBridge(bridge, CARL, 'c0ffee00');
    expect(carl.nightscout).toBeUndefined();
    expect(carl.source).toMatchObject({ patientId: CARL.patientId, patientName: undefined });
  });

  it('keeps a configured MQTT client id unique per person', () => {
    const withClient = { ...bridge, mqtt: { ...bridge.mqtt!, clientId: 'hub' } };
    expect(personBridge(withClient, BEN, '7d41e0aa').mqtt?.clientId).toBe('hub-7d41e0aa');
    expect(personBridge(bridge, BEN, '7d41e0aa').mqtt?.clientId).toBeUndefined();
  });
});

describe('personBridgeIdsIn', () => {
  it('finds the person bridges of the account bridges in a state folder, never a configured bridge', () => {
    const folders = ['kids', 'kids-3f2a9c1b', 'kids-7d41e0aa', 'kids-', 'kidsfoo', 'mum', 'kids-mum', 'other-3f2a9c1b'];
    expect(personBridgeIdsIn(folders, ['kids'], ['kids', 'kids-mum', 'mum'])).toEqual(['kids-3f2a9c1b', 'kids-7d41e0aa']);
    expect(personBridgeIdsIn(folders, [], ['kids'])).toEqual([]);
  });
});
