import { isDeepStrictEqual } from 'node:util';

/** A small subset of Mongo query semantics: what v1 `find[...]` and v3 `field$op=value` produce. */

export type Op = '$eq' | '$ne' | '$gt' | '$gte' | '$lt' | '$lte' | '$in' | '$nin' | '$regex' | '$exists';

export interface Condition {
  path: string;
  op: Op;
  value: unknown;
}

export type SortSpec = [path: string, direction: 1 | -1][];

export function getPath(doc: unknown, path: string): unknown {
  let value: unknown = doc;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** BSON comparison order: null/missing < numbers < strings < objects < arrays < booleans. */
function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 1;
  if (typeof v === 'number') return 2;
  if (typeof v === 'string') return 3;
  if (Array.isArray(v)) return 5;
  if (typeof v === 'boolean') return 8;
  return 4;
}

export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (ra === 1) return 0;
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

function equals(stored: unknown, wanted: unknown): boolean {
  if (wanted instanceof RegExp) return typeof stored === 'string' && wanted.test(stored);
  if (wanted === null) return stored === null || stored === undefined;
  if (Array.isArray(stored) && !Array.isArray(wanted)) return stored.some((s) => equals(s, wanted));
  return isDeepStrictEqual(stored, wanted);
}

/** Range operators only compare within a type class, as in Mongo. */
function ordered(stored: unknown, wanted: unknown, test: (c: number) => boolean): boolean {
  if (Array.isArray(stored)) return stored.some((s) => ordered(s, wanted, test));
  const comparable =
    (typeof stored === 'number' && typeof wanted === 'number') || (typeof stored === 'string' && typeof wanted === 'string');
  return comparable && test(compareValues(stored, wanted));
}

function matchOne(doc: unknown, c: Condition): boolean {
  const stored = getPath(doc, c.path);
  switch (c.op) {
    case '$eq':
      return equals(stored, c.value);
    case '$ne':
      return !equals(stored, c.value);
    case '$gt':
      return ordered(stored, c.value, (x) => x > 0);
    case '$gte':
      return ordered(stored, c.value, (x) => x >= 0);
    case '$lt':
      return ordered(stored, c.value, (x) => x < 0);
    case '$lte':
      return ordered(stored, c.value, (x) => x <= 0);
    case '$in':
      return (Array.isArray(c.value) ? c.value : [c.value]).some((v) => equals(stored, v));
    case '$nin':
      return !(Array.isArray(c.value) ? c.value : [c.value]).some((v) => equals(stored, v));
    case '$regex': {
      const re = c.value instanceof RegExp ? c.value : new RegExp(String(c.value));
      return typeof stored === 'string' && re.test(stored);
    }
    case '$exists':
      return (stored !== undefined) === Boolean(c.value);
  }
}

export function matches(doc: unknown, conditions: readonly Condition[]): boolean {
  return conditions.every((c) => matchOne(doc, c));
}

export function sortDocs<T>(docs: T[], sort: SortSpec): T[] {
  return docs.sort((a, b) => {
    for (const [path, dir] of sort) {
      const c = compareValues(getPath(a, path), getPath(b, path));
      if (c !== 0) return c * dir;
    }
    return 0;
  });
}

/** Mongo projection + the v3 FieldsProjector's `pruneToFields`: keep named keys or paths below them. */
export function pruneToFields(value: unknown, fields: readonly string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) pruneToFields(item, fields);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (fields.includes(key)) continue;
    const prefix = `${key}.`;
    const sub = fields.filter((f) => f.startsWith(prefix)).map((f) => f.substring(prefix.length));
    if (sub.length === 0 || obj[key] === null || typeof obj[key] !== 'object') {
      delete obj[key];
      continue;
    }
    pruneToFields(obj[key], sub);
  }
}
