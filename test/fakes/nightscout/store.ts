import { randomBytes } from 'node:crypto';

/** In-memory collections with the few indexes the dedup rules need, so thousands of docs stay fast. */

export const COLLECTIONS = ['devicestatus', 'entries', 'food', 'profile', 'settings', 'treatments'] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

export const isCollection = (name: string): name is CollectionName => (COLLECTIONS as readonly string[]).includes(name);

/** A stored document; `_id` stands for the Mongo ObjectId (24 hex) or a client-chosen string id. */
export type Doc = Record<string, unknown> & { _id: string };

/** API v3 fallback-dedup fields, used only against stored docs without `identifier`. */
export const DEDUP_FALLBACK_FIELDS: Readonly<Record<CollectionName, readonly string[]>> = {
  entries: ['date', 'type'],
  treatments: ['created_at', 'eventType'],
  devicestatus: ['created_at', 'device'],
  food: ['created_at'],
  profile: ['created_at'],
  settings: [],
};

export type IndexName = 'identifier' | 'fallback' | 'v1key';

type KeyOf = (doc: Record<string, unknown>) => string | undefined;

const key = (values: unknown[]): string => JSON.stringify(values);

export function fallbackKey(col: CollectionName, doc: Record<string, unknown>): string | undefined {
  const fields = DEDUP_FALLBACK_FIELDS[col];
  if (fields.length === 0) return undefined;
  const values = fields.map((f) => doc[f]);
  return values.some((v) => v === undefined) ? undefined : key(values);
}

/**
 * v1 upsert keys: entries `{sysTime,type}` when both are truthy (otherwise the server queries by
 * the whole document), treatments `{created_at,eventType}` (undefined matches missing, as Mongo's null).
 */
export function v1Key(col: CollectionName, doc: Record<string, unknown>): string | undefined {
  if (col === 'entries') return doc.sysTime && doc.type ? key([doc.sysTime, doc.type]) : undefined;
  if (col === 'treatments') return key([doc.created_at ?? null, doc.eventType ?? null]);
  return undefined;
}

class Index {
  private map = new Map<string, Set<Doc>>();
  constructor(private readonly keyOf: KeyOf) {}

  add(doc: Doc): void {
    const k = this.keyOf(doc);
    if (k === undefined) return;
    let set = this.map.get(k);
    if (!set) this.map.set(k, (set = new Set()));
    set.add(doc);
  }

  remove(doc: Doc): void {
    const k = this.keyOf(doc);
    if (k === undefined) return;
    const set = this.map.get(k);
    set?.delete(doc);
    if (set?.size === 0) this.map.delete(k);
  }

  get(k: string): Doc[] {
    return [...(this.map.get(k) ?? [])];
  }
}

let counter = randomBytes(3).readUIntBE(0, 3);
const processPart = randomBytes(5).toString('hex');

/** ObjectId-shaped hex: 4-byte seconds, 5 random bytes, 3-byte counter. */
export function newObjectId(nowMs: number): string {
  counter = (counter + 1) % 0xffffff;
  const seconds = Math.floor(nowMs / 1000).toString(16).padStart(8, '0').slice(-8);
  return seconds + processPart + counter.toString(16).padStart(6, '0');
}

export class Collection {
  private readonly docs = new Map<string, Doc>();
  private readonly indexes: Record<IndexName, Index>;

  constructor(
    readonly name: CollectionName,
    private readonly now: () => number,
  ) {
    this.indexes = {
      identifier: new Index((d) => (typeof d.identifier === 'string' ? d.identifier : undefined)),
      fallback: new Index((d) => (d.identifier === undefined ? fallbackKey(name, d) : undefined)),
      v1key: new Index((d) => v1Key(name, d)),
    };
  }

  get size(): number {
    return this.docs.size;
  }

  /** Insertion order. */
  all(): Doc[] {
    return [...this.docs.values()];
  }

  byId(id: string): Doc | undefined {
    return this.docs.get(id);
  }

  lookup(index: IndexName, k: string): Doc[] {
    return this.indexes[index].get(k);
  }

  private index(doc: Doc): void {
    for (const i of Object.values(this.indexes)) i.add(doc);
  }

  private unindex(doc: Doc): void {
    for (const i of Object.values(this.indexes)) i.remove(doc);
  }

  /** Stores a copy; a string `_id` in `fields` is kept (Mongo stores client ids verbatim). */
  insert(fields: Record<string, unknown>): Doc {
    const id = typeof fields._id === 'string' && fields._id !== '' ? fields._id : newObjectId(this.now());
    if (this.docs.has(id)) throw new Error(`duplicate _id ${id}`);
    const doc = { ...structuredClone(fields), _id: id } as Doc;
    this.docs.set(id, doc);
    this.index(doc);
    return doc;
  }

  /** Full replace keeping `_id` (Mongo replaceOne). */
  replace(doc: Doc, fields: Record<string, unknown>): Doc {
    this.unindex(doc);
    for (const k of Object.keys(doc)) if (k !== '_id') delete doc[k];
    const copy = structuredClone(fields);
    delete copy._id;
    Object.assign(doc, copy);
    this.index(doc);
    return doc;
  }

  /** `$set` of top-level fields. */
  merge(doc: Doc, fields: Record<string, unknown>): Doc {
    this.unindex(doc);
    const copy = structuredClone(fields);
    delete copy._id;
    Object.assign(doc, copy);
    this.index(doc);
    return doc;
  }

  remove(doc: Doc): void {
    this.unindex(doc);
    this.docs.delete(doc._id);
  }

  clear(): void {
    for (const d of this.all()) this.remove(d);
  }
}

export class Store {
  private readonly cols = new Map<CollectionName, Collection>();
  constructor(now: () => number) {
    for (const name of COLLECTIONS) this.cols.set(name, new Collection(name, now));
  }

  col(name: CollectionName): Collection {
    return this.cols.get(name)!;
  }
}
