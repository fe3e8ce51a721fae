import { parseV1Date } from './dates.js';
import type { Condition, Op } from './query.js';

/** v1 `find[...]` (qs bracket syntax) → conditions, with the server's type walker and default date window. */

export type Walker = Record<string, (raw: string) => unknown>;

const toInt = (raw: string): unknown => parseInt(raw, 10);

/** `query.parseRegEx`: `/re/flags` strings become regular expressions. */
export function parseRegEx(raw: string): unknown {
  const m = /\/(.*)\/(.*)/.exec(raw);
  if (!m) return raw;
  try {
    return new RegExp(m[1]!, m[2]);
  } catch {
    return raw;
  }
}

export const ENTRIES_WALKER: Walker = { date: toInt, sgv: toInt, filtered: toInt, unfiltered: toInt, rssi: toInt, noise: toInt, mbg: toInt };
export const TREATMENTS_WALKER: Walker = { insulin: toInt, carbs: toInt, glucose: toInt, notes: parseRegEx, eventType: parseRegEx, enteredBy: parseRegEx };
export const DEFAULT_WALKER: Walker = { date: toInt, sgv: toInt };

/** Four days, the server's `deltaAgo` for queries without a date constraint. */
export const DEFAULT_WINDOW_MS = 4 * 24 * 3600 * 1000;

const OPS: readonly string[] = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$regex', '$exists'];

interface RawClause {
  path: string;
  op: Op;
  values: string[];
  array: boolean;
}

/** `find[field]=v`, `find[field][$op]=v`, `find[field][$in][]=a&…`. */
export function rawFind(query: URLSearchParams): RawClause[] {
  const clauses = new Map<string, RawClause>();
  for (const [key, value] of query) {
    if (!key.startsWith('find[')) continue;
    const segs = [...key.slice(4).matchAll(/\[([^\]]*)\]/g)].map((m) => m[1]!);
    const [field, second, ...more] = segs;
    if (!field) continue;
    const isOp = second !== undefined && second.startsWith('$');
    const op = (isOp && OPS.includes(second) ? second : '$eq') as Op;
    const path = isOp || second === undefined || second === '' ? field : [field, second].join('.');
    const id = `${path}\u0000${op}`;
    const clause = clauses.get(id) ?? { path, op, values: [], array: false };
    clause.values.push(value);
    if (more.length > 0 || (!isOp && second === '')) clause.array = true;
    clauses.set(id, clause);
  }
  return [...clauses.values()];
}

export const hasFind = (query: URLSearchParams): boolean => [...query.keys()].some((k) => k.startsWith('find['));

export interface FindOptions {
  walker: Walker;
  dateField: 'date' | 'created_at';
  /** Epoch ms (entries) rather than ISO strings for the default window. */
  useEpoch: boolean;
  now: number;
  extra?: Condition[];
}

export function buildFind(query: URLSearchParams, opts: FindOptions): Condition[] {
  const conditions: Condition[] = [];
  for (const c of rawFind(query)) {
    const typer = opts.walker[c.path];
    let values: unknown[] = c.values.map((v) => (typer && v ? typer(v) : v));
    if (c.path === opts.dateField && !opts.useEpoch) {
      // ISO date filters are rewritten to UTC ISO strings (`enforceDateFilter`); numbers stay numbers.
      values = values.map((v) => {
        if (typeof v !== 'string' || !Number.isNaN(Number(v))) return v;
        const d = parseV1Date(v.replace(' ', '+'));
        return d ? new Date(d.ms).toISOString() : v;
      });
    }
    const many = c.op === '$in' || c.op === '$nin' || c.array;
    conditions.push({ path: c.path, op: c.op, value: many ? values : values[values.length - 1] });
  }
  conditions.push(...(opts.extra ?? []));
  const constrained = conditions.some((c) => c.path === opts.dateField || c.path === 'dateString' || c.path === '_id');
  if (!constrained) {
    const min = opts.now - DEFAULT_WINDOW_MS;
    conditions.push({ path: opts.dateField, op: '$gte', value: opts.useEpoch ? min : new Date(min).toISOString() });
  }
  return conditions;
}

/** `count` as parseInt, else the route's default. */
export function countParam(query: URLSearchParams, fallback: number): number {
  const n = parseInt(query.get('count') ?? '', 10);
  return Number.isNaN(n) ? fallback : n;
}
