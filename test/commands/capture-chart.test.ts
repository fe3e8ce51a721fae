import { describe, expect, it } from 'vitest';
import { fitColumns, glucoseChart } from '../../commands/capture-chart.js';
import type { Entry } from '../../lib/domain.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0);
const entries = (values: number[]): Entry[] =>
  values.map((sgv, i) => ({ date: T0 + i * 300_000, dateString: '', device: 'sim', identifier: `id-${i}`, type: 'sgv', sgv }));

/** The y-axis labels, top to bottom. */
const labels = (chart: string): string[] => chart.split('\n').flatMap((l) => /^\s*([\d.() ]+?) [┤┼]/.exec(l)?.[1] ?? []);

describe('fitColumns', () => {
  it('keeps few readings as they are and averages many into the columns there are', () => {
    expect(fitColumns([1, 2, 3], 5)).toEqual([1, 2, 3]);
    expect(fitColumns([1, 3, 5, 7, 9, 11], 3)).toEqual([2, 6, 10]);
    expect(fitColumns(Array.from({ length: 1440 }, (_, i) => i), 66)).toHaveLength(66);
  });
});

describe('the capture chart', () => {
  it('draws the line over the 70–180 band, both edges on labelled rows', () => {
    const chart = glucoseChart(entries([100, 150, 220, 160, 60, 90]), { unit: 'mgdl', width: 80, color: false })!;
    expect(chart).toMatch(/[╭╮╰╯]/);
    const rows = labels(chart);
    expect(rows).toContain('70');
    expect(rows).toContain('180');
    // The band rows are drawn across (asciichart marks a series' row with ┼ and ─).
    expect(chart.split('\n').find((l) => l.trimStart().startsWith('180 '))).toMatch(/┼─+/);
    expect(Number(rows[0])).toBeGreaterThanOrEqual(220);
    expect(Number(rows.at(-1))).toBeLessThanOrEqual(60);
    expect(chart).not.toContain('\u001b[');
  });

  it('shows the band even when every reading is inside it, and in mmol/L (3.9–10.0)', () => {
    const chart = glucoseChart(entries([110, 120, 115, 118]), { unit: 'mmol', width: 60, color: false })!;
    expect(labels(chart)).toEqual(['10.0', '8.8', '7.5', '6.3', '5.1', '3.9']);
    expect(chart).toContain('band 3.9–10.0 mmol/L');
  });

  it('labels both units when asked, colours only for a terminal, and never wraps', () => {
    const chart = glucoseChart(entries(Array.from({ length: 1440 }, (_, i) => 120 + 60 * Math.sin(i / 100))), { unit: 'both', width: 70, color: true })!;
    expect(chart).toContain('\u001b[');
    const plain = chart.replaceAll(/\[\d+m/g, '').replaceAll('\u001b', '');
    expect(labels(plain)).toContain('180 (10.0)');
    expect(labels(plain)).toContain('70 (3.9)');
    expect(Math.max(...plain.split('\n').slice(0, -1).map((l) => l.length))).toBeLessThanOrEqual(70);
  });

  it('draws nothing for fewer than two readings', () => {
    expect(glucoseChart(entries([120]), { unit: 'mgdl', width: 80, color: false })).toBeUndefined();
  });
});
