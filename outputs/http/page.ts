import type { BridgeHealth, Reading, StatusSnapshot } from './cache/types.js';
import { formatAge } from '../../lib/glucose-text.js';
import { DEFAULT_TARGET_HIGH, DEFAULT_TARGET_LOW } from '../../lib/target-range.js';
import { byDate, chartStats, renderChart, type ChartInput } from './page-chart.js';
import { AGE_SCRIPT, REFRESH_SECONDS } from './page-script.js';
import {
  RANGE_LABELS,
  STALE_AFTER_MS,
  escapeHtml,
  formatDelta,
  formatGlucose,
  rangeOf,
  trendGlyphOf,
  type PageUnits,
} from './page-format.js';
import { PAGE_STYLE } from './page-style.js';

export { escapeHtml } from './page-format.js';

export interface StatusPageInput {
  snapshot: StatusSnapshot;
  /** Newest first, up to 24 h (the status model's cache); mg/dL. */
  readings: Reading[];
  units: PageUnits;
  /** Target range in mg/dL, whatever `units` is; 70–180 by default. */
  targetLow?: number;
  targetHigh?: number;
}

/** The page reloads itself this often (and on returning to a tab that missed a reload). */
/** A previous reading further back than this gives no delta. */
const DELTA_WINDOW_MS = 15 * 60_000;

/**
 * `GET /`: the whole status page as one HTML5 document — current value, trend arrow and age, the
 * 24 h chart with the target range shaded, and the health of every source, loop and output. No
 * framework, no external resources; it refreshes itself every minute.
 */
export function renderStatusPage(input: StatusPageInput): string {
  const { snapshot, units } = input;
  const targetLow = input.targetLow ?? DEFAULT_TARGET_LOW;
  const targetHigh = input.targetHigh ?? DEFAULT_TARGET_HIGH;
  const people = byBridge(byDate(input.readings, 'newest first'), snapshot);
  const shown = (r: Reading): string => `${snapshot.nowMs - r.date > STALE_AFTER_MS ? 'STALE ' : ''}${formatGlucose(r.sgv, units)} ${trendGlyphOf(r.direction).glyph}`;
  const latest = people.map((p) => p.readings[0]).filter((r): r is Reading => r !== undefined);
  const title = latest.length === 0 ? 'No readings · gluco-hub' : latest.length > MAX_CHARTED ? `${latest.length} bridges · gluco-hub` : `${latest.map(shown).join(' · ')} · gluco-hub`;
  // Several bridges (an account following several people, or a config file's bridges) are never
  // mixed: each gets its own value, delta, chart and time in range, named; beyond a handful, a table.
  const sections =
    people.length > MAX_CHARTED
      ? renderLatestTable(people, snapshot.nowMs, units, targetLow, targetHigh)
      : people
          .map(({ bridge, readings }) => {
            const label = people.length > 1 ? bridge : undefined;
            const chartInput: ChartInput = { readings, nowMs: snapshot.nowMs, units, targetLow, targetHigh };
            return `${renderNow(readings, snapshot.nowMs, units, targetLow, targetHigh, label)}
<section class="card chart-card" aria-label="Last 24 hours${label ? ` of ${escapeHtml(label)}` : ''}">
<h2>Last 24 hours${label ? ` · ${escapeHtml(label)}` : ''}</h2>
${renderChart(chartInput)}
${renderStats(chartInput)}
</section>`;
          })
          .join('\n');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
${renderTop(snapshot)}
${sections}
${renderHealth(snapshot)}
<footer>gluco-hub ${escapeHtml(snapshot.version)} · started ${formatAge(snapshot.nowMs - snapshot.startedMs)} · updates every minute</footer>
</main>
<script>${AGE_SCRIPT}</script>
</body>
</html>
`;
}

/** More bridges with readings than this are shown as one table of their latest values, not a chart each. */
const MAX_CHARTED = 8;

/**
 * The readings (newest first) per bridge, in the order the status lists the bridges; one group
 * (all of them, maybe none) when at most one bridge has readings, as for a single bridge.
 */
function byBridge(readings: readonly Reading[], snapshot: StatusSnapshot): { bridge: string; readings: Reading[] }[] {
  const groups = new Map<string, Reading[]>();
  for (const r of readings) {
    const list = groups.get(r.bridge);
    if (list) list.push(r);
    else groups.set(r.bridge, [r]);
  }
  if (groups.size <= 1) return [{ bridge: [...groups.keys()][0] ?? '', readings: [...readings] }];
  const order = new Map(snapshot.bridges.map((b, i) => [b.id, i]));
  return [...groups.entries()]
    .sort(([a], [b]) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity) || a.localeCompare(b))
    .map(([bridge, list]) => ({ bridge, readings: list }));
}

function renderLatestTable(people: readonly { bridge: string; readings: Reading[] }[], nowMs: number, units: PageUnits, targetLow: number, targetHigh: number): string {
  const rows = people.map(({ bridge, readings }) => {
    const r = readings[0]!;
    const stale = nowMs - r.date > STALE_AFTER_MS;
    const range = rangeOf(r.sgv, targetLow, targetHigh);
    return `<tr data-testid="latest-row" data-bridge="${escapeHtml(bridge)}" class="${range}${stale ? ' stale' : ''}"><td class="name">${escapeHtml(bridge)}</td><td class="value">${formatGlucose(r.sgv, units)} ${trendGlyphOf(r.direction).glyph}</td><td>${formatAge(nowMs - r.date)}</td><td>${stale ? 'Stale' : RANGE_LABELS[range]}</td></tr>`;
  });
  return `<section class="card latest" aria-label="Current glucose per bridge">
<h2>Current glucose · ${people.length} bridges (${units})</h2>
<table data-testid="latest">
<thead><tr><th>Bridge</th><th>Glucose</th><th>Age</th><th>Range</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</section>`;
}

function renderTop(snapshot: StatusSnapshot): string {
  const badge = snapshot.ready ? '<span class="badge good">ready</span>' : '<span class="badge bad">not ready</span>';
  return `<header class="top"><b>gluco-hub</b><span data-testid="ready">${badge}</span></header>`;
}

function renderNow(readings: readonly Reading[], nowMs: number, units: PageUnits, targetLow: number, targetHigh: number, label?: string): string {
  const latest = readings[0];
  const who = label === undefined ? '' : `<p class="who" data-testid="who">${escapeHtml(label)}</p>`;
  if (!latest) {
    return `<section class="card now none" data-state="none" aria-label="Current glucose">
<div class="reading"><span class="value" data-testid="value">No readings yet</span></div>
<p data-testid="age">Waiting for the first reading from a source.</p>
</section>`;
  }
  const ageMs = nowMs - latest.date;
  const stale = ageMs > STALE_AFTER_MS;
  const range = rangeOf(latest.sgv, targetLow, targetHigh);
  const trend = trendGlyphOf(latest.direction);
  const value = formatGlucose(latest.sgv, units);
  const previous = readings.find(
    (r) => r.date < latest.date && r.device === latest.device && latest.date - r.date <= DELTA_WINDOW_MS,
  );
  const delta = previous ? ` · <b data-testid="delta">${formatDelta(latest.sgv - previous.sgv, units)}</b>` : '';
  const banner = stale
    ? `<p class="stale-banner" data-testid="stale" role="alert">STALE — no new reading for ${formatAge(ageMs).replace(/ ago$/, '')}</p>`
    : '';
  return `<section class="card now ${range}${stale ? ' stale' : ''}" data-state="${stale ? 'stale' : 'fresh'}" data-range="${range}" aria-label="Current glucose${label ? ` of ${escapeHtml(label)}` : ''}">
${who}${banner}<div class="reading${value.length > 3 ? ' long' : ''}"><span class="value" data-testid="value">${value}</span><span class="arrow" data-testid="arrow" title="${trend.label}" aria-label="${trend.label}">${trend.glyph}</span></div>
<div class="units-delta"><span data-testid="units">${units}</span>${delta}</div>
<div class="age" data-testid="age" data-age-ms="${Math.max(0, ageMs)}">${formatAge(ageMs)}</div>
<div class="range" data-testid="range">${stale ? 'Stale' : RANGE_LABELS[range]}</div>
</section>`;
}

function renderStats(input: ChartInput): string {
  const stats = chartStats(input);
  if (!stats) return '';
  return `<div class="stats" data-testid="stats"><span>In range <b>${stats.inRangePct}%</b></span><span>Low <b>${stats.lowPct}%</b></span><span>High <b>${stats.highPct}%</b></span><span>Mean <b>${formatGlucose(stats.meanMgdl, input.units)}</b> ${input.units}</span><span><b>${stats.count}</b> readings</span></div>`;
}

type Tone = 'good' | 'warn' | 'bad' | 'idle';

interface Row {
  kind: 'bridge' | 'loop' | 'output';
  name: string;
  detail: string;
  state: string;
  tone: Tone;
  when: string;
  error?: string | undefined;
}

const SESSION_TONE: Record<BridgeHealth['session'], Tone> = { established: 'good', none: 'idle', expired: 'warn', failed: 'bad' };
const OUTPUT_TONE: Record<string, Tone> = { ok: 'good', 'catching up': 'warn', queueing: 'warn', failing: 'bad', unknown: 'idle' };
const OUTCOME_TONE: Record<string, Tone> = { success: 'good', skipped: 'warn', failed: 'bad' };

function healthRows(bridge: BridgeHealth, nowMs: number): Row[] {
  const since = (ms: number | undefined, what: string, never: string): string =>
    ms === undefined ? never : `${what} ${formatAge(nowMs - ms)}`;
  const rows: Row[] = [
    {
      kind: 'bridge',
      name: bridge.id,
      detail: `source · ${bridge.source}`,
      state: bridge.ready ? 'ready' : `session ${bridge.session}`,
      tone: bridge.ready ? 'good' : bridge.session === 'established' ? 'warn' : SESSION_TONE[bridge.session],
      when: bridge.ready ? `session ${bridge.session}` : 'not ready',
      error: bridge.sessionError,
    },
  ];
  for (const loop of bridge.loops) {
    rows.push({
      kind: 'loop',
      name: loop.name,
      detail: 'loop',
      state: loop.lastOutcome ?? 'waiting',
      tone: loop.lastOutcome ? (OUTCOME_TONE[loop.lastOutcome] ?? 'idle') : 'idle',
      when: since(loop.lastSuccessMs, 'ok', 'no success yet'),
      error: loop.lastError,
    });
  }
  for (const output of bridge.outputs) {
    const waiting = output.waiting > 0 ? ` · ${output.waiting} waiting` : '';
    rows.push({
      kind: 'output',
      name: output.name,
      detail: 'output',
      state: output.state,
      tone: OUTPUT_TONE[output.state] ?? 'idle',
      when: since(output.lastStoredMs, 'stored', 'nothing stored yet') + waiting,
      error: output.lastError,
    });
  }
  return rows;
}

function renderHealth(snapshot: StatusSnapshot): string {
  const rows = snapshot.bridges.flatMap((b) => healthRows(b, snapshot.nowMs));
  const body =
    rows.length === 0
      ? '<tr data-testid="health-empty"><td colspan="3">No bridges configured.</td></tr>'
      : rows
          .map(
            (r) => `<tr class="${r.kind}" data-testid="health-row" data-kind="${r.kind}" data-name="${escapeHtml(r.name)}" data-state="${escapeHtml(r.state)}">
<td class="name">${escapeHtml(r.name)}<span class="kind">${escapeHtml(r.detail)}</span></td>
<td class="state"><span class="badge ${r.tone}">${escapeHtml(r.state)}</span><span class="when">${escapeHtml(r.when)}</span></td>
${r.error ? `<td class="err" data-testid="last-error">${escapeHtml(r.error)}</td>` : '<td class="err none">—</td>'}
</tr>`,
          )
          .join('\n');
  return `<section class="card health" aria-label="Health">
<h2>Sources and outputs</h2>
<table data-testid="health">
<thead><tr><th>Name</th><th>State</th><th>Last error</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
</section>`;
}

