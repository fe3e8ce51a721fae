import { describe, expect, it } from 'vitest';
import { renderStatusPage } from '../../outputs/http/page.js';
import { formatAge } from '../../lib/glucose-text.js';
import { escapeHtml, formatDelta, formatGlucose, trendGlyphOf } from '../../outputs/http/page-format.js';
import type { Direction } from '../../lib/domain.js';
import type { Reading } from '../../outputs/http/cache/types.js';
import { NOW, dayOfReadings, healthyBridge, reading, snapshot, troubledBridge } from '../fakes/status-data.js';

const MIN = 60_000;

/** The text of the first element carrying `data-testid="<id>"` (tags inside stripped). */
function byTestId(html: string, id: string): string | undefined {
  const m = new RegExp(`<(\\w+)[^>]*data-testid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return m?.[2]?.replace(/<[^>]+>/g, '').trim();
}
const count = (html: string, needle: string): number => html.split(needle).length - 1;
const points = (html: string): number => count(html, '<circle data-testid="point"');

describe('renderStatusPage', () => {
  it('shows the current value, its arrow and its age for a sample snapshot', () => {
    const readings = [reading(NOW - 3 * MIN, 142, 'SingleUp'), reading(NOW - 8 * MIN, 136, 'FortyFiveUp')];
    const html = renderStatusPage({ snapshot: snapshot(), readings, units: 'mg/dL' });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta name="viewport" content="width=device-width');
    expect(html).toContain('<meta http-equiv="refresh" content="60">');
    expect(byTestId(html, 'value')).toBe('142');
    expect(byTestId(html, 'arrow')).toBe('↑');
    expect(byTestId(html, 'age')).toBe('3 min ago');
    expect(byTestId(html, 'delta')).toBe('+6');
    expect(byTestId(html, 'units')).toBe('mg/dL');
    expect(byTestId(html, 'range')).toBe('In range');
    expect(html).toContain('data-state="fresh"');
  });

  it('uses no external resources', () => {
    const html = renderStatusPage({ snapshot: snapshot(), readings: dayOfReadings(), units: 'mg/dL' });
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(/);
  });

  it.each<[Direction | undefined, string]>([
    ['DoubleUp', '⇈'],
    ['SingleUp', '↑'],
    ['FortyFiveUp', '↗'],
    ['Flat', '→'],
    ['FortyFiveDown', '↘'],
    ['SingleDown', '↓'],
    ['DoubleDown', '⇊'],
    ['NOT COMPUTABLE', '–'],
    ['RATE OUT OF RANGE', '–'],
    [undefined, '–'],
  ])('draws %s as %s', (direction, glyph) => {
    const html = renderStatusPage({ snapshot: snapshot(), readings: [{ ...reading(NOW - MIN, 120), direction }], units: 'mg/dL' });
    expect(byTestId(html, 'arrow')).toBe(glyph);
  });

  it('shows mmol/L with one decimal, targets and delta included', () => {
    const readings = [reading(NOW - 2 * MIN, 180, 'Flat'), reading(NOW - 7 * MIN, 171, 'Flat')];
    const html = renderStatusPage({ snapshot: snapshot(), readings, units: 'mmol/L' });
    expect(byTestId(html, 'value')).toBe('10.0');
    expect(byTestId(html, 'units')).toBe('mmol/L');
    expect(byTestId(html, 'delta')).toBe('+0.5');
    expect(html).toContain('>3.9</span>');
    expect(formatGlucose(100, 'mmol/L')).toBe('5.5');
    expect(formatGlucose(72, 'mmol/L')).toBe('4.0');
    expect(formatDelta(-4, 'mmol/L')).toBe('−0.2');
    expect(formatDelta(0, 'mg/dL')).toBe('±0');
  });

  it('escapes a hostile bridge id and error message', () => {
    const evil = '<script>alert("x")</script>';
    const bridge = { ...troubledBridge(NOW, evil), id: `"><img src=x onerror=alert(1)>` };
    const html = renderStatusPage({ snapshot: snapshot([bridge]), readings: dayOfReadings(), units: 'mg/dL' });
    expect(html).not.toContain(evil);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('data-name="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    // The page's own script is the only one.
    expect(count(html, '<script>')).toBe(1);
    expect(escapeHtml(`a&b<c>"d"'e'`)).toBe('a&amp;b&lt;c&gt;&quot;d&quot;&#39;e&#39;');
  });

  it('lists every bridge, loop and output with its state and last error', () => {
    const html = renderStatusPage({ snapshot: snapshot([healthyBridge(), troubledBridge()]), readings: dayOfReadings(), units: 'mg/dL' });
    expect(count(html, 'data-testid="health-row"')).toBe(1 + 2 + 2 + 1 + 1 + 1);
    expect(html).toContain('data-kind="bridge" data-name="libre-mum" data-state="session failed"');
    expect(html).toContain('data-kind="output" data-name="nightscout" data-state="queueing"');
    expect(html).toContain('12 waiting');
    expect(html).toContain('NS003 Nightscout answered 503');
    expect(byTestId(html, 'ready')).toBe('not ready');
  });

  it('marks a reading older than 15 minutes as stale', () => {
    const fresh = renderStatusPage({ snapshot: snapshot(), readings: [reading(NOW - 15 * MIN, 120)], units: 'mg/dL' });
    expect(fresh).toContain('data-state="fresh"');
    expect(fresh).not.toContain('data-testid="stale"');

    const html = renderStatusPage({ snapshot: snapshot(), readings: [reading(NOW - 23 * MIN, 120)], units: 'mg/dL' });
    expect(html).toContain('data-state="stale"');
    expect(html).toMatch(/class="card now in-range stale"/);
    expect(byTestId(html, 'stale')).toBe('STALE — no new reading for 23 min');
    expect(byTestId(html, 'age')).toBe('23 min ago');
    expect(byTestId(html, 'range')).toBe('Stale');
    expect(html).toMatch(/<title>STALE 120/);
  });

  it('colours lows and highs against the default or a configured target', () => {
    const at = (sgv: number, targetLow?: number, targetHigh?: number): string =>
      /data-range="([a-z-]+)"/.exec(renderStatusPage({ snapshot: snapshot(), readings: [reading(NOW - MIN, sgv)], units: 'mg/dL', targetLow, targetHigh }))![1]!;
    expect(at(50)).toBe('urgent-low');
    expect(at(65)).toBe('low');
    expect(at(70)).toBe('in-range');
    expect(at(180)).toBe('in-range');
    expect(at(181)).toBe('high');
    expect(at(150, 80, 140)).toBe('high');
  });

  it('shows a clear empty state without readings, and still draws the chart frame', () => {
    const html = renderStatusPage({ snapshot: snapshot([]), readings: [], units: 'mg/dL' });
    expect(byTestId(html, 'value')).toBe('No readings yet');
    expect(html).not.toContain('data-testid="arrow"');
    expect(html).toContain('data-testid="chart"');
    expect(html).toContain('No readings in the last 24 hours');
    expect(points(html)).toBe(0);
    expect(html).toContain('No bridges configured.');
  });

  it('draws one chart point per reading within the last 24 h', () => {
    const readings = dayOfReadings(NOW);
    const older = [reading(NOW - 25 * 3_600_000, 100), reading(NOW - 30 * 3_600_000, 100)];
    const html = renderStatusPage({ snapshot: snapshot(), readings: [...readings, ...older], units: 'mg/dL' });
    expect(points(html)).toBe(readings.length);
    expect(html).toContain(`data-points="${readings.length}"`);
    expect(byTestId(html, 'stats')).toContain(`${readings.length} readings`);
  });

  it('stays small at a 1 s cadence: a day of 86,400 readings is thinned to what a screen shows, lows and highs still drawn', () => {
    const readings: Reading[] = [];
    for (let i = 0; i < 86_400; i++) readings.push(reading(NOW - i * 1_000, Math.round(140 + 50 * Math.sin(i / 700))));
    readings[30_000] = reading(readings[30_000]!.date, 40);
    readings[70_000] = reading(readings[70_000]!.date, 400);
    const html = renderStatusPage({ snapshot: snapshot(), readings, units: 'mg/dL' });
    expect(html.length).toBeLessThan(200_000);
    expect(points(html)).toBeLessThanOrEqual(600);
    expect(html).toMatch(/<title>40 mg\/dL, /);
    expect(html).toMatch(/<title>400 mg\/dL, /);
    // The newest is still the highlighted "now" point, and the stats count every reading.
    expect(html).toContain(`<title>${readings[0]!.sgv} mg/dL, just now</title>`);
    expect(byTestId(html, 'stats')).toContain('86400 readings');
    expect(html).toContain('data-readings="86400"');
  });

  it('shades the target range, 70–180 by default', () => {
    const html = renderStatusPage({ snapshot: snapshot(), readings: dayOfReadings(), units: 'mg/dL' });
    const band = /<rect data-testid="target-band" class="band" x="0" y="([\d.]+)" width="1000" height="([\d.]+)"/.exec(html);
    expect(band).not.toBeNull();
    // y axis 40–300 over 400 units: 180 → 184.6, 70 → 353.8.
    expect(Number(band![1])).toBeCloseTo(184.6, 1);
    expect(Number(band![1]) + Number(band![2])).toBeCloseTo(353.8, 1);
    expect(html).toContain('>70</span>');
    expect(html).toContain('>180</span>');
  });

  it('takes the newest reading as current whatever the order given', () => {
    const readings = [reading(NOW - 10 * MIN, 100, 'Flat'), reading(NOW - 5 * MIN, 210, 'DoubleUp')];
    const html = renderStatusPage({ snapshot: snapshot(), readings, units: 'mg/dL' });
    expect(byTestId(html, 'value')).toBe('210');
    expect(byTestId(html, 'arrow')).toBe('⇈');
    expect(byTestId(html, 'range')).toBe('High');
  });
});

describe('page formatting', () => {
  it('says how long ago for people', () => {
    expect(formatAge(20_000)).toBe('just now');
    expect(formatAge(3 * MIN)).toBe('3 min ago');
    expect(formatAge(65 * MIN)).toBe('1 h 5 min ago');
    expect(formatAge(120 * MIN)).toBe('2 h ago');
    expect(formatAge(50 * 3_600_000)).toBe('2 d ago');
    expect(formatAge(-5_000)).toBe('just now');
  });

  it("shows Nightscout's arrow for every direction that is one, and none for the rest", () => {
    expect(trendGlyphOf('TripleUp')).toEqual({ glyph: '⤊', label: 'rising very fast' });
    expect(trendGlyphOf('TripleDown')).toEqual({ glyph: '⤋', label: 'falling very fast' });
    expect(trendGlyphOf('Flat').glyph).toBe('→');
    for (const none of ['NONE', 'NOT COMPUTABLE', 'RATE OUT OF RANGE', undefined] as const) expect(trendGlyphOf(none).glyph).toBe('–');
  });
});

describe('renderStatusPage with several bridges (an account following several people)', () => {
  const alice = (date: number, sgv: number, direction: Direction = 'Flat'): Reading => reading(date, sgv, direction, { bridge: 'kids-3f2a9c1b', device: 'librelinkup', source: 'linkup' });
  const bob = (date: number, sgv: number, direction: Direction = 'Flat'): Reading => reading(date, sgv, direction, { bridge: 'kids-7d41e0aa', device: 'librelinkup', source: 'linkup' });
  const people = snapshot([
    { ...healthyBridge(), id: 'kids-7d41e0aa' },
    { ...healthyBridge(), id: 'kids-3f2a9c1b' },
  ]);

  it('never mixes them: a named value, delta, chart and time in range each, in the order the status lists the bridges', () => {
    // Same device, interleaved times: mixed, Alice's 120 would get a delta from Bob's 250.
    const readings = [alice(NOW - 2 * MIN, 120, 'SingleDown'), bob(NOW - 4 * MIN, 250, 'SingleUp'), alice(NOW - 7 * MIN, 126), bob(NOW - 9 * MIN, 240)];
    const html = renderStatusPage({ snapshot: people, readings, units: 'mg/dL' });
    const cards = html.split('<section class="card now').slice(1);
    expect(cards).toHaveLength(2);
    expect(byTestId(cards[0]!, 'who')).toBe('kids-7d41e0aa');
    expect(byTestId(cards[0]!, 'value')).toBe('250');
    expect(byTestId(cards[0]!, 'delta')).toBe('+10');
    expect(byTestId(cards[0]!, 'range')).toBe('High');
    expect(byTestId(cards[1]!, 'who')).toBe('kids-3f2a9c1b');
    expect(byTestId(cards[1]!, 'value')).toBe('120');
    expect(byTestId(cards[1]!, 'delta')).toBe('−6');
    expect(count(html, '<section class="card chart-card"')).toBe(2);
    expect(html).toContain('<h2>Last 24 hours · kids-7d41e0aa</h2>');
    // Each chart and its time in range hold that person's two readings only.
    expect(points(html)).toBe(4);
    expect(count(html, '<b>2</b> readings')).toBe(2);
    expect(html).toContain('<title>250 ↑ · 120 ↓ · gluco-hub</title>');
  });

  it('one bridge with readings among several: the page as for one bridge, unnamed', () => {
    const html = renderStatusPage({ snapshot: people, readings: [alice(NOW - 2 * MIN, 120), alice(NOW - 7 * MIN, 126)], units: 'mg/dL' });
    expect(count(html, '<section class="card now')).toBe(1);
    expect(html).not.toContain('data-testid="who"');
    expect(byTestId(html, 'value')).toBe('120');
  });

  it('more than eight: one table of each bridge\'s latest value, age and range instead of a chart each', () => {
    const ids = Array.from({ length: 9 }, (_, i) => `b${i}`);
    const readings = ids.flatMap((id, i) => [reading(NOW - (i + 1) * MIN, 100 + i, 'Flat', { bridge: id }), reading(NOW - (i + 6) * MIN, 90, 'Flat', { bridge: id })]);
    const html = renderStatusPage({ snapshot: snapshot(ids.map((id) => ({ ...healthyBridge(), id }))), readings, units: 'mg/dL' });
    expect(count(html, '<section class="card now')).toBe(0);
    expect(count(html, 'data-testid="latest-row"')).toBe(9);
    expect(html).toMatch(/<tr data-testid="latest-row" data-bridge="b8" class="in-range"><td class="name">b8<\/td><td class="value">108 →<\/td><td>9 min ago<\/td><td>In range<\/td><\/tr>/);
    expect(html).toContain('<title>9 bridges · gluco-hub</title>');
  });
});
