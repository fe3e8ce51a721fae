import { join } from 'node:path';
import type { BridgeConfig } from '../lib/config/schema.js';

/**
 * Pure decisions for a bridge that follows several people (`source.patients`): who each person's
 * bridge is (its id, outputs and settings), and which bridges to start and retire after the
 * account's connections call. The effects live in follow-supervisor.ts.
 */

export interface Person {
  patientId: string;
  /** "First Last"; may be empty. */
  name: string;
}

/** Shortest slug kept: 8 hex characters of a patient id, 4 billion values, before any collision lengthens it. */
export const SLUG_LENGTH = 8;

function slugBase(patientId: string): string {
  const base = patientId.toLowerCase().replace(/[^a-z0-9]/g, '');
  return base === '' ? 'person' : base;
}

/**
 * Each patient id → its slug: the id's first 8 letters and digits, lower-case (a LibreLink Up id is a
 * UUID: `3F2A9C1B-…` → `3f2a9c1b`). Made from the id, never the name, so a renamed person keeps
 * their bridge id, state, folder, topics and Home Assistant device. Ids sharing their first 8
 * characters get longer slugs until they differ (every id keeps the same slug as long as the
 * account follows the same set, and the slug only depends on the ids of those who share a prefix).
 */
export function personSlugs(patientIds: readonly string[]): Map<string, string> {
  const ids = [...new Set(patientIds)];
  const slugs = new Map<string, string>();
  for (const id of ids) {
    const base = slugBase(id);
    let length = SLUG_LENGTH;
    const clash = (n: number): boolean => ids.some((other) => other !== id && slugBase(other).slice(0, n) === base.slice(0, n));
    while (length < base.length && clash(length)) length += 1;
    // Two ids differing only in case or punctuation: their bases are equal, so the id's position decides.
    const taken = [...slugs.values()].includes(base.slice(0, length));
    slugs.set(id, taken ? `${base.slice(0, length)}-${ids.indexOf(id)}` : base.slice(0, length));
  }
  return slugs;
}

/** `<bridge>-<slug>`. */
export function personBridgeId(bridgeId: string, slug: string): string {
  return `${bridgeId}-${slug}`;
}

/** Who of those listed this bridge follows: everyone (`all`) or the configured ids, in the listed order. */
export function wantedPeople(listed: readonly Person[], patients: 'all' | readonly string[]): Person[] {
  return patients === 'all' ? [...listed] : listed.filter((p) => patients.includes(p.patientId));
}

export interface FollowChange {
  /** Newly listed: start a bridge for each. */
  added: Person[];
  /** No longer listed: retire each one's bridge (patient ids). */
  removed: string[];
}

/** The diff between the people whose bridges run and the people the account lists now. */
export function reconcilePeople(running: readonly string[], listed: readonly Person[]): FollowChange {
  const listedIds = new Set(listed.map((p) => p.patientId));
  const runningIds = new Set(running);
  const seen = new Set<string>();
  const added = listed.filter((p) => !runningIds.has(p.patientId) && !seen.has(p.patientId) && seen.add(p.patientId));
  return { added, removed: running.filter((id) => !listedIds.has(id)) };
}

function normalizeName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

type PersonSettings = NonNullable<BridgeConfig['people']>[string];

/** The `people` entry for a person: keyed by patient id, by slug, or by "First Last" (case-insensitive), in that order. */
export function personSettings(people: BridgeConfig['people'], person: Person, slug: string): { key: string; settings: PersonSettings } | undefined {
  if (!people) return undefined;
  const keys = Object.keys(people);
  const key =
    keys.find((k) => k === person.patientId) ??
    keys.find((k) => k.toLowerCase() === slug) ??
    (person.name === '' ? undefined : keys.find((k) => normalizeName(k) === normalizeName(person.name)));
  const settings = key === undefined ? undefined : people[key];
  return key === undefined || settings === undefined ? undefined : { key, settings };
}

/** `people` keys that match nobody the account lists (a typo, or a person no longer followed). */
export function unmatchedPeopleKeys(people: BridgeConfig['people'], listed: readonly Person[], slugs: ReadonlyMap<string, string>): string[] {
  if (!people) return [];
  const matched = new Set(listed.flatMap((p) => personSettings(people, p, slugs.get(p.patientId) ?? '')?.key ?? []));
  return Object.keys(people).filter((k) => !matched.has(k));
}

/**
 * One person's bridge: the account bridge's settings pinned to this person, with their own id,
 * their own Nightscout (from `people`, never the shared one), a folder and an MQTT topic prefix of
 * their own under the shared ones (a broker's retained `glucose` is per prefix), and no `people`.
 */
export function personBridge(bridge: BridgeConfig, person: Person, slug: string): BridgeConfig {
  const own = personSettings(bridge.people, person, slug)?.settings;
  const { people: _people, nightscout: _shared, ...rest } = bridge;
  return {
    ...rest,
    id: personBridgeId(bridge.id, slug),
    source: pinnedSource(bridge.source, person),
    ...(own?.nightscout ? { nightscout: own.nightscout } : {}),
    ...(bridge.filesystem ? { filesystem: { ...bridge.filesystem, dir: join(bridge.filesystem.dir, slug) } } : {}),
    ...(bridge.mqtt
      ? { mqtt: { ...bridge.mqtt, topicPrefix: `${bridge.mqtt.topicPrefix}/${slug}`, ...(bridge.mqtt.clientId === undefined ? {} : { clientId: `${bridge.mqtt.clientId}-${slug}` }) } }
      : {}),
  };
}

/** The account's source settings pinned to one person, so the outputs name them (MQTT's `patient`). */
function pinnedSource(source: BridgeConfig['source'], person: Person): BridgeConfig['source'] {
  if (source.kind === 'linkup') return { ...source, patients: undefined, patientId: person.patientId, patientName: person.name === '' ? undefined : person.name };
  if (source.kind === 'minimedcarelink') return { ...source, patients: undefined, patientUsername: person.patientId };
  return source;
}

/**
 * The follower account whose person `bridgeId` names (`<account>-<slug>`): the longest account id it
 * starts with, so `kids-b-3f2a9c1b` is `kids-b`'s, not `kids`'s.
 */
export function accountOfPerson<T extends { id: string }>(accounts: readonly T[], bridgeId: string): T | undefined {
  return accounts.filter((a) => bridgeId.startsWith(`${a.id}-`) && bridgeId.length > a.id.length + 1).sort((a, b) => b.id.length - a.id.length)[0];
}

/**
 * The person bridges a state folder holds for the account bridges `accounts` (`<account>-<slug>`
 * folders), for commands that read them (`dlq`) without calling the vendor. A folder of a configured
 * bridge is never taken for a person's, whatever its name.
 */
export function personBridgeIdsIn(folders: readonly string[], accounts: readonly string[], configured: readonly string[]): string[] {
  const ids = accounts.map((id) => ({ id }));
  return folders.filter((name) => !configured.includes(name) && accountOfPerson(ids, name) !== undefined).sort();
}
