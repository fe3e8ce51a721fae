import type { Row } from './report.js';

/**
 * The `peer` benchmark's table and its verdicts against issue 20's targets, from the measured
 * numbers alone (no processes here), so the table in docs/performance.md is exactly what a run prints.
 */

export type BridgeKey = 'peer' | 'hubHttp' | 'hubNightscoutOnly' | 'bare';

export interface Measured {
  key: BridgeKey;
  bridge: string;
  /** RSS at the end of the run, MB. */
  rssMb: number;
  peakMb: number;
  /** user + system CPU since the process started, s; absent for the bare baseline. */
  cpuS?: number;
  vendorRequests?: number;
  /** Entries the bridge stored in its Nightscout during the run. */
  entries?: number;
  /** Age of the newest entry it delivered, minutes at the end of the run; absent when none. */
  newestAgeMin?: number;
}

export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

/** Issue 20's bound for gluco-hub with only the Nightscout output, as a multiple of bare node's RSS. */
export const MAX_RSS_OVER_BARE = 1.35;

const fixed = (n: number, digits: number): string => n.toFixed(digits);

/** One row per process; `seconds` names the CPU column (CPU is counted from each process's start). */
export function peerRows(measured: readonly Measured[], seconds: number): Row[] {
  const cpu = `CPU in ${seconds} s`;
  return measured.map((m) => {
    const row: Row = { bridge: m.bridge, RSS: `${fixed(m.rssMb, 1)} MB`, peak: `${fixed(m.peakMb, 1)} MB` };
    if (m.key === 'bare') return { ...row, peak: '', [cpu]: '', 'vendor requests': '', entries: '', 'newest delivered': '' };
    return {
      ...row,
      [cpu]: m.cpuS === undefined ? '' : `${fixed(m.cpuS, 2)} s`,
      'vendor requests': m.vendorRequests ?? '',
      entries: m.entries ?? '',
      'newest delivered': m.newestAgeMin === undefined ? 'none' : `${fixed(m.newestAgeMin, 1)} min old`,
    };
  });
}

function find(measured: readonly Measured[], key: BridgeKey): Measured {
  const m = measured.find((x) => x.key === key);
  if (!m) throw new Error(`no measurement for ${key}`);
  return m;
}

export function peerVerdicts(measured: readonly Measured[]): Verdict[] {
  const peer = find(measured, 'peer');
  const http = find(measured, 'hubHttp');
  const nsOnly = find(measured, 'hubNightscoutOnly');
  const bare = find(measured, 'bare');
  const ratio = nsOnly.rssMb / bare.rssMb;
  return [
    {
      target: 'gluco-hub (HTTP API on) RSS ≤ nightscout-connect',
      measured: `${fixed(http.rssMb, 1)} MB vs ${fixed(peer.rssMb, 1)} MB`,
      met: http.rssMb <= peer.rssMb,
    },
    {
      target: 'gluco-hub (HTTP API on) CPU ≤ nightscout-connect',
      measured: `${fixed(http.cpuS ?? Number.NaN, 2)} s vs ${fixed(peer.cpuS ?? Number.NaN, 2)} s`,
      met: (http.cpuS ?? Infinity) <= (peer.cpuS ?? -Infinity),
    },
    {
      target: `gluco-hub (Nightscout output only) RSS ≤ ${MAX_RSS_OVER_BARE} × bare node`,
      measured: `${fixed(ratio, 2)} × (${fixed(nsOnly.rssMb, 1)} / ${fixed(bare.rssMb, 1)} MB)`,
      met: ratio <= MAX_RSS_OVER_BARE,
    },
  ];
}

const cell = (v: string | number | undefined): string => String(v ?? '').replaceAll('|', '\\|');

/** A GitHub markdown table of `rows`, columns in the first row's order. */
export function markdownTable(rows: readonly Row[]): string {
  const columns = Object.keys(rows[0] ?? {});
  const line = (cells: readonly (string | number | undefined)[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map((r) => line(columns.map((c) => r[c])))].join('\n');
}

export function verdictTable(verdicts: readonly Verdict[]): string {
  return markdownTable(verdicts.map((v) => ({ target: v.target, measured: v.measured, '': v.met ? 'met' : '**missed**' })));
}
