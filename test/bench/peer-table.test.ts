import { describe, expect, it } from 'vitest';
import { markdownTable, peerRows, peerVerdicts, verdictTable, type Measured } from '../../bench/peer-table.js';

const run = (over: Partial<Record<Measured['key'], Partial<Measured>>> = {}): Measured[] => [
  { key: 'peer', bridge: 'nightscout-connect 0.0.12', rssMb: 64.4, peakMb: 75.2, cpuS: 0.61, vendorRequests: 3, entries: 33, newestAgeMin: 19.1, ...over.peer },
  { key: 'hubHttp', bridge: 'gluco-hub (HTTP API on)', rssMb: 84, peakMb: 88.4, cpuS: 2.56, vendorRequests: 4, entries: 47, newestAgeMin: 0.8, ...over.hubHttp },
  { key: 'hubNightscoutOnly', bridge: 'gluco-hub (Nightscout output only)', rssMb: 60, peakMb: 62, cpuS: 0.5, vendorRequests: 4, entries: 47, newestAgeMin: 0.8, ...over.hubNightscoutOnly },
  { key: 'bare', bridge: 'bare `node -e setInterval`', rssMb: 40, peakMb: 40.5, ...over.bare },
];

describe('peer benchmark table', () => {
  it('renders the issue’s columns, the baseline with RSS only and a bridge that delivered nothing as "none"', () => {
    const rows = peerRows(run({ peer: { newestAgeMin: undefined, entries: 0 } }), 100);
    expect(markdownTable(rows).split('\n')).toEqual([
      '| bridge | RSS | peak | CPU in 100 s | vendor requests | entries | newest delivered |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      '| nightscout-connect 0.0.12 | 64.4 MB | 75.2 MB | 0.61 s | 3 | 0 | none |',
      '| gluco-hub (HTTP API on) | 84.0 MB | 88.4 MB | 2.56 s | 4 | 47 | 0.8 min old |',
      '| gluco-hub (Nightscout output only) | 60.0 MB | 62.0 MB | 0.50 s | 4 | 47 | 0.8 min old |',
      '| bare `node -e setInterval` | 40.0 MB |  |  |  |  |  |',
    ]);
  });

  it('escapes a pipe inside a cell so the row keeps its columns', () => {
    expect(markdownTable([{ a: 'x|y' }]).split('\n')[2]).toBe('| x\\|y |');
  });

  it('judges each target: RSS and CPU against the peer, Nightscout-only RSS against 1.35 × bare', () => {
    expect(peerVerdicts(run()).map((v) => v.met)).toEqual([false, false, false]);
    const met = peerVerdicts(run({ hubHttp: { rssMb: 64.4, cpuS: 0.6 }, hubNightscoutOnly: { rssMb: 54 } }));
    expect(met.map((v) => v.met)).toEqual([true, true, true]);
    expect(met[2]!.measured).toBe('1.35 × (54.0 / 40.0 MB)');
    expect(peerVerdicts(run({ hubNightscoutOnly: { rssMb: 54.1 } }))[2]!.met).toBe(false);
  });

  it('marks a missed target in bold in the markdown verdicts', () => {
    const table = verdictTable(peerVerdicts(run({ hubHttp: { rssMb: 50 } })));
    expect(table).toContain('| gluco-hub (HTTP API on) RSS ≤ nightscout-connect | 50.0 MB vs 64.4 MB | met |');
    expect(table).toContain('| gluco-hub (HTTP API on) CPU ≤ nightscout-connect | 2.56 s vs 0.61 s | **missed** |');
  });
});
