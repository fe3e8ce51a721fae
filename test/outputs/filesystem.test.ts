import { mkdtemp, readFile, readdir, rm, stat, writeFile, appendFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyBatch, type Batch, type Entry, type Treatment } from '../../lib/domain.js';
import { StorageError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import { createFilesystemOutput } from '../../outputs/filesystem/index.js';
import type { Output } from '../../lib/contracts/output.js';
import { faultyDisk, type FaultyDisk } from '../fakes/faulty-disk.js';

const DEVICE = 'test-cgm';
const MAR_10 = Date.UTC(2025, 2, 10, 8, 0, 0);
const signal = () => new AbortController().signal;

function entry(date: number, sgv = 120): Entry {
  return {
    type: 'sgv',
    sgv,
    date,
    dateString: new Date(date).toISOString(),
    direction: 'Flat',
    device: DEVICE,
    identifier: syncIdentifier({ device: DEVICE, date }),
    app: 'gluco-hub',
  };
}

function treatment(date: number): Treatment {
  const eventType = 'Meal Bolus';
  return {
    eventType,
    carbs: 40,
    insulin: 4,
    created_at: new Date(date).toISOString(),
    date,
    device: DEVICE,
    identifier: syncIdentifier({ device: DEVICE, date, eventType }),
    app: 'gluco-hub',
  };
}

function batchOf(parts: Partial<Batch>): Batch {
  return { ...emptyBatch(), ...parts };
}

const everyFiveMinutes = (from: number, count: number): Entry[] =>
  Array.from({ length: count }, (_, i) => entry(from + i * 300_000, 100 + i));

async function readLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

describe('filesystem output', () => {
  let dir: string;
  const started: Output[] = [];

  async function startOutput(): Promise<Output> {
    const output = createFilesystemOutput({ dir }, { now: () => MAR_10 });
    await output.start();
    started.push(output);
    return output;
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gluco-hub-fs-'));
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((output) => output.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one compact JSON document per line, per collection and UTC day', async () => {
    const output = await startOutput();
    const docs = everyFiveMinutes(MAR_10, 3);
    const result = await output.store(batchOf({ entries: docs, treatments: [treatment(MAR_10)] }), signal());
    expect(result).toEqual({ stored: 4, duplicates: 0 });
    expect(output.name).toBe('filesystem');
    expect((await readdir(dir)).sort()).toEqual(['entries', 'treatments']);
    const lines = await readLines(path.join(dir, 'entries', '2025-03-10.jsonl'));
    expect(lines).toEqual(docs.map((doc) => JSON.stringify(doc)));
    expect(await readLines(path.join(dir, 'treatments', '2025-03-10.jsonl'))).toEqual([JSON.stringify(treatment(MAR_10))]);
  });

  it('creates its files for the owner alone (0600, directories 0700) unless a mode is set', async () => {
    const output = await startOutput();
    await output.store(batchOf({ entries: everyFiveMinutes(MAR_10, 1) }), signal());
    const modeOf = async (p: string) => ((await stat(p)).mode & 0o777).toString(8);
    expect(await modeOf(path.join(dir, 'entries', '2025-03-10.jsonl'))).toBe('600');
    expect(await modeOf(path.join(dir, 'entries'))).toBe('700');

    const shared = path.join(dir, 'shared');
    const group = createFilesystemOutput({ dir: shared, mode: 0o640 }, { now: () => MAR_10 });
    await group.start();
    started.push(group);
    await group.store(batchOf({ entries: everyFiveMinutes(MAR_10, 1) }), signal());
    expect(await modeOf(path.join(shared, 'entries', '2025-03-10.jsonl'))).toBe('640');
    expect(await modeOf(path.join(shared, 'entries'))).toBe('750');
  });

  it('writes nothing for documents it already has and counts them as duplicates', async () => {
    const output = await startOutput();
    const batch = batchOf({ entries: everyFiveMinutes(MAR_10, 5) });
    await output.store(batch, signal());
    const file = path.join(dir, 'entries', '2025-03-10.jsonl');
    const before = await readFile(file, 'utf8');
    expect(await output.store(batch, signal())).toEqual({ stored: 0, duplicates: 5 });
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('drops duplicates within one batch', async () => {
    const output = await startOutput();
    const doc = entry(MAR_10);
    expect(await output.store(batchOf({ entries: [doc, doc, entry(MAR_10 + 300_000), doc] }), signal())).toEqual({
      stored: 2,
      duplicates: 2,
    });
    expect(await readLines(path.join(dir, 'entries', '2025-03-10.jsonl'))).toHaveLength(2);
  });

  it('still refuses duplicates after a restart', async () => {
    const docs = everyFiveMinutes(MAR_10, 4);
    const first = await startOutput();
    await first.store(batchOf({ entries: docs.slice(0, 3) }), signal());
    await first.stop();
    const restarted = await startOutput();
    expect(await restarted.store(batchOf({ entries: docs }), signal())).toEqual({ stored: 1, duplicates: 3 });
    expect(await readLines(path.join(dir, 'entries', '2025-03-10.jsonl'))).toHaveLength(4);
  });

  it('cuts off a line torn by a crash and lets its document be stored again', async () => {
    const [a, b, c] = everyFiveMinutes(MAR_10, 3) as [Entry, Entry, Entry];
    const file = path.join(dir, 'entries', '2025-03-10.jsonl');
    await mkdir(path.dirname(file), { recursive: true });
    const torn = JSON.stringify(c).slice(0, 40);
    await writeFile(file, `${JSON.stringify(a)}\n${JSON.stringify(b)}\n${torn}`);

    const output = await startOutput();
    expect(await output.newest(signal())).toEqual({ entries: b.date });
    expect(await output.store(batchOf({ entries: [b, c] }), signal())).toEqual({ stored: 1, duplicates: 1 });
    const lines = await readLines(file);
    expect(lines.map((line) => JSON.parse(line) as Entry)).toEqual([a, b, c]);
    expect(await output.newest(signal())).toEqual({ entries: c.date });
  });

  it('reports nothing stored for an empty directory', async () => {
    const output = await startOutput();
    expect(await output.newest(signal())).toEqual({});
  });

  it('reports the newest date per collection across day boundaries and restarts', async () => {
    const beforeMidnight = Date.UTC(2025, 2, 9, 23, 55);
    const afterMidnight = Date.UTC(2025, 2, 10, 0, 5);
    const output = await startOutput();
    await output.store(batchOf({ entries: [entry(afterMidnight), entry(beforeMidnight)] }), signal());
    await output.store(batchOf({ treatments: [treatment(beforeMidnight)] }), signal());
    const expected = { entries: afterMidnight, treatments: beforeMidnight };
    expect(await output.newest(signal())).toEqual(expected);
    expect((await readdir(path.join(dir, 'entries'))).sort()).toEqual(['2025-03-09.jsonl', '2025-03-10.jsonl']);

    await output.stop();
    expect(await (await startOutput()).newest(signal())).toEqual(expected);
  });

  it('looks past a newest day file that holds only a torn line', async () => {
    const older = entry(Date.UTC(2025, 2, 9, 12, 0));
    await mkdir(path.join(dir, 'entries'), { recursive: true });
    await writeFile(path.join(dir, 'entries', '2025-03-09.jsonl'), `${JSON.stringify(older)}\n`);
    await writeFile(path.join(dir, 'entries', '2025-03-10.jsonl'), JSON.stringify(entry(MAR_10)).slice(0, 30));
    const output = await startOutput();
    expect(await output.newest(signal())).toEqual({ entries: older.date });
  });

  it('fails to start with StorageError FS001 when the directory cannot be written', async () => {
    const file = path.join(dir, 'not-a-directory');
    await writeFile(file, '');
    const unwritable = path.join(file, 'x');
    const error: unknown = await createFilesystemOutput({ dir: unwritable }, {})
      .start()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'FS001', hint: expect.stringContaining('writable') });
    expect((error as Error).message).toContain(unwritable);
  });

  it('leaves no probe file behind after start', async () => {
    await startOutput();
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails a write with StorageError FS002 carrying the cause, and recovers once the path is usable', async () => {
    const output = await startOutput();
    await writeFile(path.join(dir, 'entries'), 'in the way');
    const error: unknown = await output.store(batchOf({ entries: [entry(MAR_10)] }), signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'FS002', cause: expect.anything() });

    await rm(path.join(dir, 'entries'));
    expect(await output.store(batchOf({ entries: [entry(MAR_10)] }), signal())).toEqual({ stored: 1, duplicates: 0 });
  });

  it('never interleaves the lines of concurrent stores', async () => {
    const output = await startOutput();
    const batches = Array.from({ length: 20 }, (_, b) =>
      batchOf({ entries: everyFiveMinutes(MAR_10 + b * 50 * 300_000, 50).map((doc) => ({ ...doc, notes: 'x'.repeat(2000) })) }),
    );
    const overlapping = batchOf({ entries: batches[0]!.entries.slice(0, 10) });
    const results = await Promise.all([...batches, overlapping].map((batch) => output.store(batch, signal())));
    expect(results.reduce((sum, r) => sum + r.stored, 0)).toBe(1000);
    expect(results.at(-1)).toEqual({ stored: 0, duplicates: 10 });

    const files = (await readdir(path.join(dir, 'entries'))).sort();
    const docs: Entry[] = [];
    for (const name of files) {
      for (const line of await readLines(path.join(dir, 'entries', name))) docs.push(JSON.parse(line) as Entry);
    }
    expect(docs).toHaveLength(1000);
    expect(new Set(docs.map((doc) => doc.identifier)).size).toBe(1000);
  });

  it('finishes in-flight writes before stop resolves', async () => {
    const output = await startOutput();
    const pending = output.store(batchOf({ entries: everyFiveMinutes(MAR_10, 10) }), signal());
    await output.stop();
    expect(await readLines(path.join(dir, 'entries', '2025-03-10.jsonl'))).toHaveLength(10);
    await expect(pending).resolves.toEqual({ stored: 10, duplicates: 0 });
  });

  it('writes nothing for a store that was aborted before it began', async () => {
    const output = await startOutput();
    const aborted = new AbortController();
    aborted.abort(new Error('frame timed out'));
    await expect(output.store(batchOf({ entries: [entry(MAR_10)] }), aborted.signal)).rejects.toThrow('frame timed out');
    await expect(readdir(path.join(dir, 'entries'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('appends to a day file that a previous run left with complete lines', async () => {
    const file = path.join(dir, 'entries', '2025-03-10.jsonl');
    await mkdir(path.dirname(file), { recursive: true });
    await appendFile(file, `${JSON.stringify(entry(MAR_10))}\n`);
    const output = await startOutput();
    expect(await output.store(batchOf({ entries: everyFiveMinutes(MAR_10, 2) }), signal())).toEqual({ stored: 1, duplicates: 1 });
    expect(await readLines(file)).toHaveLength(2);
  });
});

describe('filesystem output when the disk fails at runtime', () => {
  let dir: string;
  let disk: FaultyDisk;
  let output: Output;
  const file = () => path.join(dir, 'entries', '2025-03-10.jsonl');
  const docs = everyFiveMinutes(MAR_10, 6);
  const stored = docs.slice(0, 2);
  const batch = batchOf({ entries: docs.slice(1) });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gluco-hub-fs-'));
    disk = faultyDisk();
    output = createFilesystemOutput({ dir }, { now: () => MAR_10, disk });
    await output.start();
  });

  afterEach(async () => {
    await output.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function storeFails(b: Batch): Promise<StorageError> {
    const error: unknown = await output.store(b, signal()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    return error as StorageError;
  }

  /** Every document in the day file, each exactly once and nothing torn. */
  async function expectExactly(expected: readonly Entry[]): Promise<void> {
    const lines = await readLines(file());
    expect(lines.map((line) => JSON.parse(line) as Entry)).toEqual(expected);
  }

  it('a disk that fills up mid-append: FS002, the day file cut back to its last good line, then every document exactly once', async () => {
    await output.store(batchOf({ entries: stored }), signal());
    const before = await readFile(file(), 'utf8');
    const oneAndAHalfLines = JSON.stringify(docs[2]).length + 1 + 40;
    disk.fail({ op: 'write', code: 'ENOSPC', partial: oneAndAHalfLines });

    const error = await storeFails(batch);
    expect(error).toMatchObject({ code: 'FS002', cause: { code: 'ENOSPC' } });
    expect(await readFile(file(), 'utf8')).toBe(before);
    expect(await output.newest(signal())).toEqual({ entries: stored[1]!.date });

    disk.heal();
    expect(await output.store(batch, signal())).toEqual({ stored: 4, duplicates: 1 });
    await expectExactly(docs);
    expect(await output.newest(signal())).toEqual({ entries: docs[5]!.date });
  });

  it('a failed fsync is undone the same way', async () => {
    await output.store(batchOf({ entries: stored }), signal());
    const before = await readFile(file(), 'utf8');
    disk.fail({ op: 'sync', code: 'EIO', path: /\.jsonl$/, times: 1 });
    expect(await storeFails(batch)).toMatchObject({ code: 'FS002', cause: { code: 'EIO' } });
    expect(await readFile(file(), 'utf8')).toBe(before);
    expect(await output.store(batch, signal())).toEqual({ stored: 4, duplicates: 1 });
    await expectExactly(docs);
  });

  it('leaves no day file behind when the first append to it fails, and makes its directory entry durable once it succeeds', async () => {
    disk.fail({ op: 'write', code: 'ENOSPC', partial: 30 });
    expect(await storeFails(batch)).toMatchObject({ code: 'FS002' });
    expect(await readdir(path.join(dir, 'entries'))).toEqual([]);

    disk.heal();
    disk.calls.length = 0;
    expect(await output.store(batch, signal())).toEqual({ stored: 5, duplicates: 0 });
    await expectExactly(docs.slice(1));
    const synced = disk.calls.filter((call) => call.op === 'sync').map((call) => call.path);
    expect(synced).toEqual([file(), path.join(dir, 'entries'), dir]);
  });

  it('when the undo fails too, the torn tail is cut off by the next store and no document is lost or doubled', async () => {
    await output.store(batchOf({ entries: stored }), signal());
    const oneAndAHalfLines = JSON.stringify(docs[2]).length + 1 + 40;
    disk.fail({ op: 'write', code: 'ENOSPC', partial: oneAndAHalfLines });
    disk.fail({ op: 'truncate', code: 'EIO' });
    expect(await storeFails(batch)).toMatchObject({ code: 'FS002' });
    expect((await readFile(file(), 'utf8')).endsWith('\n')).toBe(false);

    disk.heal();
    // docs[2] made it whole before the disk filled up: it counts as stored, not written twice.
    expect(await output.store(batch, signal())).toEqual({ stored: 3, duplicates: 2 });
    await expectExactly(docs);
  });

  it('a batch across two days that fails on the second: the first day is kept, the retry writes each document once', async () => {
    const lateMar9 = entry(Date.UTC(2025, 2, 9, 23, 55));
    const twoDays = batchOf({ entries: [lateMar9, ...docs] });
    disk.fail({ op: 'write', code: 'ENOSPC', path: /2025-03-10/ });
    expect(await storeFails(twoDays)).toMatchObject({ code: 'FS002' });
    disk.heal();
    expect(await output.store(twoDays, signal())).toEqual({ stored: 6, duplicates: 1 });
    expect(await readLines(path.join(dir, 'entries', '2025-03-09.jsonl'))).toEqual([JSON.stringify(lateMar9)]);
    await expectExactly(docs);
  });

  it('an unwritable directory at runtime: FS002, newest() still answers from what was stored, writes resume once fixed', async () => {
    await output.store(batchOf({ entries: stored }), signal());
    disk.fail({ op: 'open', code: 'EACCES' });
    expect(await storeFails(batch)).toMatchObject({ code: 'FS002', cause: { code: 'EACCES' } });
    expect(await output.newest(signal())).toEqual({ entries: stored[1]!.date });
    // Reading back what was stored keeps working too: a new day file cannot even be created.
    disk.fail({ op: 'mkdir', code: 'EROFS' });
    expect(await storeFails(batchOf({ treatments: [treatment(MAR_10)] }))).toMatchObject({ code: 'FS002', cause: { code: 'EROFS' } });
    expect(await output.newest(signal())).toEqual({ entries: stored[1]!.date });

    disk.heal();
    expect(await output.store(batch, signal())).toEqual({ stored: 4, duplicates: 1 });
    await expectExactly(docs);
  });
});
