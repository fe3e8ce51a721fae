import { describe, expect, it } from 'vitest';
import { TransformError } from '../../lib/errors.js';
import { syncIdentifier } from '../../lib/identity.js';
import { collectionLoop } from '../../sources/nightscout/loop.js';
import { NSS_DEVICE, toDocument } from '../../sources/nightscout/document.js';
import { transformAnswer } from '../../sources/nightscout/transform.js';
import type { NightscoutClient } from '../../lib/nightscout/client.js';
import { APP_NAME } from '../../lib/version.js';
import { captureLog, v1Entry, type Doc } from '../fixtures/nightscout-source/harness.js';

const T0 = 1_613_057_404_186;
const WINDOW = { fromMs: T0 - 60 * 60_000, toMs: T0 + 60 * 60_000 };

function answer(collection: string, documents: unknown[], api = 'v3'): unknown {
  return { collection, api, documents };
}

function only(collection: 'entries' | 'treatments' | 'devicestatus', doc: unknown): Doc {
  const outcome = toDocument(collection, doc, NSS_DEVICE);
  if (outcome.kind !== 'document') throw new Error(`expected a document, got ${JSON.stringify(outcome)}`);
  return outcome.doc;
}

describe('Nightscout source transform', () => {
  it('computes the identifier Nightscout v3 computes (its published test vectors)', () => {
    const treatment = only('treatments', {
      _id: '602573fc6d2f1a0004c2b1a1',
      eventType: 'Correction Bolus',
      insulin: 1.5,
      created_at: new Date(T0).toISOString(),
      device: 'Samsung XCover 4-861536030196001',
    });
    expect(treatment.identifier).toBe('5b0f7124-475f-5db0-824c-a73c5eea0975');
    expect(treatment.date).toBe(T0);

    const entry = only('entries', { _id: '53ca0b3f', type: 'sgv', sgv: 120, date: 1_405_763_055_000, dateString: '2014-07-19T09:44:15.000Z', device: 'dexcom' });
    expect(entry.identifier).toBe('21597b61-91f1-5f0a-9d1c-8b46dbc2e48f');
  });

  it('strips the server-managed and runtime fields and keeps the rest of the document', () => {
    const doc = only('entries', {
      ...v1Entry(T0, 123),
      identifier: '0d3e1b7a-9c1f-5e2a-8b4c-1d2e3f4a5b6c',
      srvCreated: T0 + 1000,
      srvModified: T0 + 2000,
      subject: 'uploader',
      modifiedBy: 'admin',
      mills: T0,
      isValid: true,
      noise: 1,
      custom: { nested: true },
    });
    for (const field of ['_id', 'srvCreated', 'srvModified', 'subject', 'modifiedBy', 'mills', 'isValid']) expect(doc).not.toHaveProperty(field);
    expect(doc).toMatchObject({ type: 'sgv', sgv: 123, date: T0, direction: 'Flat', noise: 1, custom: { nested: true }, utcOffset: 0 });
  });

  it("keeps a v3 document's own UUID identifier, device and app", () => {
    const identifier = '0d3e1b7a-9c1f-5e2a-8b4c-1d2e3f4a5b6c';
    const doc = only('treatments', { identifier, eventType: 'Meal Bolus', date: T0, created_at: new Date(T0).toISOString(), device: 'AAPS-phone', app: 'AAPS', carbs: 20 });
    expect(doc).toMatchObject({ identifier, device: 'AAPS-phone', app: 'AAPS', carbs: 20 });
  });

  it('replaces the `_id` hex that v3 answers as identifier for v1 documents with the computed identity', () => {
    const doc = only('entries', { ...v1Entry(T0, 100), identifier: '65f0000000000000000000aa' });
    expect(doc.identifier).toBe(syncIdentifier({ device: 'xDrip-DexcomG6', date: T0 }));
    expect(doc.app).toBe(APP_NAME);
  });

  it('takes the date of a treatment or device status without `date` from created_at, and fills created_at from date', () => {
    const noDate = only('devicestatus', { _id: 'a1', device: 'openaps://phone', created_at: '2021-02-11T15:30:04.186Z', uploaderBattery: 80 });
    expect(noDate.date).toBe(T0);
    expect(noDate.identifier).toBe(syncIdentifier({ device: 'openaps://phone', date: T0 }));

    const noCreatedAt = only('treatments', { identifier: '0d3e1b7a-9c1f-5e2a-8b4c-1d2e3f4a5b6c', eventType: 'Note', date: T0, device: 'x' });
    expect(noCreatedAt.created_at).toBe('2021-02-11T15:30:04.186Z');
  });

  it('gives a document without device the stable source device, in its identity too', () => {
    const doc = only('treatments', { _id: 'b2', eventType: 'Site Change', created_at: new Date(T0).toISOString() });
    expect(doc.device).toBe(NSS_DEVICE);
    expect(doc.identifier).toBe(syncIdentifier({ device: NSS_DEVICE, date: T0, eventType: 'Site Change' }));
  });

  it("drops v1's nulls and reads numbers written as strings", () => {
    const doc = only('treatments', { _id: 'c3', eventType: 'Carb Correction', created_at: new Date(T0).toISOString(), insulin: null, carbs: '15', device: 'x' });
    expect(doc).not.toHaveProperty('insulin');
    expect(doc.carbs).toBe(15);
  });

  it('keeps a reading whose optional field it cannot read, without that field', () => {
    const doc = only('entries', v1Entry(T0, 140, { direction: 'NOT_COMPUTABLE' }));
    expect(doc.sgv).toBe(140);
    expect(doc).not.toHaveProperty('direction');
  });

  it('skips soft-deleted documents, malformed ones, and documents outside the window; keeps the rest', () => {
    const report = transformAnswer(
      answer('entries', [
        v1Entry(T0, 100),
        v1Entry(T0 + 5 * 60_000, 105, { isValid: false }),
        v1Entry(T0 + 10 * 60_000, 110, { type: 'rawbg' }),
        'not a document',
        { _id: 'nodate', type: 'sgv', sgv: 90 },
        v1Entry(WINDOW.toMs + 1, 115),
        v1Entry(WINDOW.fromMs, 95),
        v1Entry(T0 - 5 * 60_000, 98),
      ]),
      WINDOW,
      NSS_DEVICE,
    );
    expect(report.batch.entries.map((e) => e.sgv)).toEqual([98, 100]);
    expect(report.deleted).toBe(1);
    expect(report.outside).toBe(2);
    expect(report.skipped.map((s) => s.reason)).toEqual([expect.stringContaining('type'), 'not an object', 'no readable date']);
    expect(report.skipped[2]!.key).toBe('nodate');
  });

  it('passes on one document per identity, oldest first', () => {
    const report = transformAnswer(answer('entries', [v1Entry(T0 + 60_000, 101), v1Entry(T0, 100), { ...v1Entry(T0, 100), _id: 'dup' }]), WINDOW, NSS_DEVICE);
    expect(report.batch.entries.map((e) => e.date)).toEqual([T0, T0 + 60_000]);
    expect(report.duplicates).toBe(1);
    expect(report.batch.treatments).toEqual([]);
  });

  it('an answer that is not a read is a TransformError NSS001', () => {
    expect(() => transformAnswer({ status: 200, result: [] }, WINDOW, NSS_DEVICE)).toThrow(TransformError);
    expect(() => transformAnswer('<html>', WINDOW, NSS_DEVICE)).toThrow(/NSS001/);
  });

  it('reports skipped documents (NSS004) and dropped fields (NSS005) as warnings, without glucose values', () => {
    const captured = captureLog();
    const loop = collectionLoop('entries', { read: { client: {} as NightscoutClient, pageSize: 10 }, log: captured.log, device: NSS_DEVICE });
    const batch = loop.transform(answer('entries', [v1Entry(T0, 187, { direction: 'Sideways' }), { _id: 'broken', type: 'sgv', sgv: 321 }]), WINDOW);
    expect(batch.entries).toHaveLength(1);
    const warnings = captured.lines().filter((l) => l.level === 40);
    expect(warnings.map((w) => w.code)).toEqual(['NSS004', 'NSS005']);
    expect(warnings[0]!.msg).toContain('broken: no readable date');
    expect(warnings[1]!.msg).toContain('direction ×1');
    // Without `time`: an epoch in ms may contain any three digits.
    const logged = JSON.stringify(captured.lines().map(({ time: _time, ...rest }) => rest));
    expect(logged).not.toMatch(/187|321/);
  });
});
