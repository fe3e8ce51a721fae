import { describe, expect, it } from 'vitest';
import { syncIdentifier } from '../../lib/identity.js';
import { transformCgm } from '../../sources/glooko/entries.js';
import { guidIdentifier, transformTreatments } from '../../sources/glooko/treatments.js';
import type { Zone } from '../../sources/glooko/timezone.js';
import { fixture } from '../fixtures/glooko/harness.js';

/** Glooko answers → Nightscout documents, with synthetic fixtures. */

const BERLIN: Zone = { kind: 'iana', name: 'Europe/Berlin' };
const iso = (ms: number): string => new Date(ms).toISOString();
const cgm = (egvs: unknown[], graph: unknown[] = [], extra: Record<string, unknown> = {}) => transformCgm({ zone: BERLIN, egvs, graph, ...extra });
const treatments = (feeds: Record<string, unknown[]>) => transformTreatments({ zone: BERLIN, feeds }).treatments;

describe('Glooko CGM → entries', () => {
  it('the egvs fixture: Berlin wall time → 10:10/10:15 UTC, ÷ 100, trends, identity of device + date', () => {
    const { entries } = cgm(fixture('egvs').egvs as unknown[]);
    expect(entries.map((e) => [iso(e.date), e.sgv, e.direction, e.trend])).toEqual([
      ['2026-11-22T10:10:00.000Z', 139, 'Flat', 4],
      ['2026-11-22T10:15:00.000Z', 142, 'FortyFiveUp', 3],
    ]);
    expect(entries[0]).toMatchObject({ type: 'sgv', device: 'glooko', utcOffset: 60, glookoGuid: 'e-1', dateString: '2026-11-22T10:10:00.000Z' });
    expect(entries[0]!.identifier).toBe(syncIdentifier({ device: 'glooko', date: entries[0]!.date }));
  });

  it('skips calculated, soft-deleted and non-positive readings', () => {
    const base = { displayTime: '2026-11-22T11:00:00.000Z', trendArrow: 'Flat' };
    const { entries } = cgm([
      { ...base, guid: 'a', glucoseValue: 12000, calculated: true },
      { ...base, guid: 'b', glucoseValue: 12000, softDeleted: true },
      { ...base, guid: 'c', glucoseValue: 0 },
      { ...base, guid: 'd', glucoseValue: -100 },
      { ...base, guid: 'e', glucoseValue: null },
      { ...base, guid: 'f', displayTime: '2026-11-22T11:05:00.000Z', glucoseValue: 12000 },
    ]);
    expect(entries.map((e) => e.glookoGuid)).toEqual(['f']);
  });

  it('normalises trend names and gives an unknown or missing trend no direction, never Flat', () => {
    const at = (i: number) => `2026-11-22T11:${String(10 + i).padStart(2, '0')}:00.000Z`;
    const names = ['double_up', 'Single Up', 'forty-five-down', 'NotComputable', 'RATE_OUT_OF_RANGE', 'sideways', null, undefined];
    const { entries } = cgm(names.map((trendArrow, i) => ({ guid: `t${i}`, displayTime: at(i), glucoseValue: 10000, trendArrow })));
    expect(entries.map((e) => e.direction)).toEqual(['DoubleUp', 'SingleUp', 'FortyFiveDown', 'NOT COMPUTABLE', 'RATE OUT OF RANGE', undefined, undefined, undefined]);
    expect(entries.slice(5).every((e) => !('direction' in e) && !('trend' in e))).toBe(true);
  });

  it('graph points (the fallback): value ÷ 100, x as wall clock, no trend; y in mmol/L when value is missing', () => {
    const { entries } = cgm([], ((fixture('graph').series as Record<string, unknown[]>).cgmNormal));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ sgv: 142, date: Date.parse('2026-11-22T10:10:00Z'), device: 'glooko' });
    expect(entries[0]!.direction).toBeUndefined();
    const mmol = cgm([], [{ x: Date.parse('2026-11-22T11:10:00Z') / 1000, y: 7.9, calculated: false }], { meterUnits: 'mmoll' }).entries;
    expect(mmol[0]).toMatchObject({ sgv: 142, date: Date.parse('2026-11-22T10:10:00Z') });
  });

  it('a raw reading and a graph point at one time are one entry (the raw one)', () => {
    const { entries } = cgm([{ guid: 'e-1', displayTime: '2026-11-22T11:10:00.000Z', glucoseValue: 14000, trendArrow: 'Flat' }], (fixture('graph').series as Record<string, unknown[]>).cgmNormal);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ sgv: 140, direction: 'Flat' });
  });

  it('a DST change day in Europe/Berlin: every reading once, five minutes apart in UTC, through both clock changes', () => {
    // Spring: the wall clock jumps 02:00 → 03:00. Autumn: 02:00–02:59 comes twice, listed in upload order.
    const spring: unknown[] = [];
    for (let t = Date.parse('2026-03-29T00:00:00Z'); t < Date.parse('2026-03-29T03:00:00Z'); t += 300_000) {
      const shown = t + (t < Date.parse('2026-03-29T01:00:00Z') ? 3_600_000 : 7_200_000);
      spring.push({ guid: `s-${t}`, displayTime: iso(shown), glucoseValue: 11000, trendArrow: 'Flat' });
    }
    const springEntries = cgm(spring).entries;
    expect(springEntries).toHaveLength(36);
    expect(springEntries.every((e, i) => i === 0 || e.date - springEntries[i - 1]!.date === 300_000)).toBe(true);
    expect(springEntries.map((e) => e.utcOffset)).toEqual([...Array(12).fill(60), ...Array(24).fill(120)]);

    const autumn: unknown[] = [];
    for (let t = Date.parse('2026-10-24T23:30:00Z'); t < Date.parse('2026-10-25T02:30:00Z'); t += 300_000) {
      const shown = t + (t < Date.parse('2026-10-25T01:00:00Z') ? 7_200_000 : 3_600_000);
      autumn.push({ guid: `a-${t}`, displayTime: iso(shown), glucoseValue: 11000 + (t / 300_000) % 50, trendArrow: 'Flat' });
    }
    const autumnEntries = cgm(autumn).entries;
    expect(autumnEntries).toHaveLength(36);
    expect(autumnEntries[0]!.date).toBe(Date.parse('2026-10-24T23:30:00Z'));
    expect(autumnEntries.every((e, i) => i === 0 || e.date - autumnEntries[i - 1]!.date === 300_000)).toBe(true);
    expect(new Set(autumnEntries.map((e) => e.identifier)).size).toBe(36);
    // The second 02:30 is the later instant, with winter time's offset.
    const second = autumnEntries.find((e) => e.glookoGuid === `a-${Date.parse('2026-10-25T01:30:00Z')}`)!;
    expect([iso(second.date), second.utcOffset]).toEqual(['2026-10-25T01:30:00.000Z', 60]);
  });

  it('an unreadable time fails the batch with GLK017; a wrong shape with GLK016', () => {
    expect(() => cgm([{ guid: 'x', displayTime: 'noon', glucoseValue: 10000 }])).toThrow(/GLK017/);
    expect(() => cgm([{ guid: 'x', displayTime: '2026-11-22T11:10:00Z', glucoseValue: 'lots' }])).toThrow(/GLK016/);
    expect(() => transformCgm({ egvs: [] })).toThrow(/GLK016/);
  });
});

describe('Glooko feeds → treatments', () => {
  it('the normal bolus fixture: a Meal Bolus at the record’s own offset, identified by its guid', () => {
    const [bolus] = treatments({ normalBoluses: fixture('normal-boluses').normalBoluses as unknown[] });
    expect(bolus).toMatchObject({
      eventType: 'Meal Bolus',
      insulin: 2.5,
      carbs: 30,
      created_at: '2026-11-22T09:40:00.000Z',
      utcOffset: 60,
      device: 'glooko',
      glookoGuid: 'b-1',
      identifier: guidIdentifier('normalBoluses', 'b-1'),
    });
  });

  it('the scheduled basal fixture: a Temp Basal in U/h for 180 min, read in Berlin time (its "+00:00" is not Berlin’s)', () => {
    const [basal] = treatments({ scheduledBasals: fixture('scheduled-basals').scheduledBasals as unknown[] });
    expect(basal).toMatchObject({ eventType: 'Temp Basal', absolute: 0.85, rate: 0.85, duration: 180, created_at: '2026-11-22T05:00:00.000Z', glookoBasalType: 'scheduled' });
  });

  it('every kind gets the care portal’s eventType', () => {
    const at = (h: number) => ({ pumpTimestamp: `2026-11-22T${String(h).padStart(2, '0')}:00:00.000Z` });
    const out = treatments({
      normalBoluses: [
        { guid: 'n1', ...at(1), insulinDelivered: 1.2 },
        { guid: 'n2', ...at(2), carbsInput: 15 },
        { guid: 'n3', ...at(3), insulinDelivered: 0, carbsInput: 0 },
      ],
      extendedBoluses: [{ guid: 'x1', ...at(4), initialDelivery: 1, extendedDelivery: 3, insulinDelivered: 4, extendedBolusDuration: 7200 }],
      injectionBoluses: [{ guid: 'i1', ...at(5), insulinDelivered: 3, name: 'NovoRapid' }],
      temporaryBasals: [
        { guid: 'tb1', ...at(6), rate: 1.5, duration: 1800 },
        { guid: 'tb2', ...at(7), percentage: 80, duration: 3600 },
      ],
      suspendBasals: [{ guid: 'sb1', ...at(8), duration: 900, suspendReason: 'low glucose' }],
      foods: [{ guid: 'f1', ...at(9), carbs: 40, name: 'pasta' }],
      carbsEvents: [{ guid: 'c1', ...at(10), carbohydrateGrams: 20 }],
      events: [
        { guid: 'p1', ...at(11), type: 'pod_activated' },
        { guid: 'p2', ...at(12), type: 'reservoir_change' },
        { guid: 'p3', ...at(13), type: 'cgm_sensor_change' },
        { guid: 'p4', ...at(14), type: 'time_change' },
      ],
    });
    expect(out.map((t) => [t.glookoGuid, t.eventType])).toEqual([
      ['n1', 'Correction Bolus'],
      ['n2', 'Carb Correction'],
      ['x1', 'Combo Bolus'],
      ['i1', 'Correction Bolus'],
      ['tb1', 'Temp Basal'],
      ['tb2', 'Temp Basal'],
      ['sb1', 'Temp Basal'],
      ['f1', 'Carb Correction'],
      ['c1', 'Carb Correction'],
      ['p1', 'Site Change'],
      ['p2', 'Insulin Change'],
      ['p3', 'Sensor Change'],
    ]);
    const by = (guid: string) => out.find((t) => t.glookoGuid === guid)!;
    expect(by('x1')).toMatchObject({ insulin: 4, enteredinsulin: 4, splitNow: 25, splitExt: 75 });
    expect(by('i1')).toMatchObject({ insulin: 3 });
    expect(by('tb1')).toMatchObject({ absolute: 1.5, duration: 30 });
    expect(by('tb2')).toMatchObject({ percent: -20, duration: 60 });
    expect(by('sb1')).toMatchObject({ absolute: 0, duration: 15, glookoBasalType: 'suspend' });
    expect(by('f1')).toMatchObject({ carbs: 40, notes: 'pasta' });
    expect(by('c1')).toMatchObject({ carbs: 20 });
  });

  it('deduplicates by guid: the same record twice is one treatment (the later copy); two records at one time stay two', () => {
    const row = { guid: 'b-9', pumpTimestamp: '2026-11-22T10:00:00.000Z', insulinDelivered: 1 };
    const out = treatments({
      normalBoluses: [row, { ...row, insulinDelivered: 1.5 }, { ...row, guid: 'b-10' }],
    });
    expect(out).toHaveLength(2);
    expect(out.find((t) => t.glookoGuid === 'b-9')!.insulin).toBe(1.5);
    expect(new Set(out.map((t) => t.identifier)).size).toBe(2);
  });

  it('skips soft-deleted records; a combined bolus listed as normal and extended counts once', () => {
    const out = treatments({
      normalBoluses: [
        { guid: 'gone', pumpTimestamp: '2026-11-22T10:00:00.000Z', insulinDelivered: 1, softDeleted: true },
        { guid: 'x1', pumpTimestamp: '2026-11-22T11:00:00.000Z', insulinDelivered: 1 },
      ],
      extendedBoluses: [{ guid: 'x1', pumpTimestamp: '2026-11-22T11:00:00.000Z', initialDelivery: 1, extendedDelivery: 1 }],
    });
    expect(out.map((t) => [t.glookoGuid, t.eventType, t.insulin])).toEqual([['x1', 'Combo Bolus', 2]]);
  });

  it('a bolus in the repeated autumn hour lands on the instant its own offset names', () => {
    const [first, second] = treatments({
      normalBoluses: [
        { guid: 'a', pumpTimestamp: '2026-10-25T02:30:00.000Z', pumpTimestampUtcOffset: '+02:00', insulinDelivered: 1 },
        { guid: 'b', pumpTimestamp: '2026-10-25T02:30:00.000Z', pumpTimestampUtcOffset: '+01:00', insulinDelivered: 1 },
      ],
    });
    expect([first!.created_at, second!.created_at]).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']);
  });
});
