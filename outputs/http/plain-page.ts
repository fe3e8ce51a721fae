import { toMmol } from '../../lib/units.js';
import { ARROWS } from './glucose.js';
import type { PageInput } from './routes.js';

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A minimal status page (newest reading and each bridge's state), used until the full renderer
 * with the 24 h chart (`page.ts` `renderStatusPage`) is wired in.
 */
export function plainStatusPage({ snapshot, readings, units }: PageInput): string {
  const latest = readings[0];
  const value = latest ? (units === 'mmol/L' ? `${toMmol(latest.sgv)} mmol/L` : `${latest.sgv} mg/dL`) : 'no reading yet';
  const arrow = latest?.direction ? ` ${ARROWS[latest.direction]}` : '';
  const age = latest ? ` (${Math.round((snapshot.nowMs - latest.date) / 60_000)} min ago)` : '';
  const rows = snapshot.bridges
    .map((b) => `<li>${escape(b.id)} (${escape(b.source)}): session ${escape(b.session)}, ${b.ready ? 'ready' : 'not ready'}</li>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>gluco-hub</title></head><body><h1>${escape(value + arrow)}${escape(age)}</h1><ul>${rows}</ul><p>gluco-hub ${escape(snapshot.version)}</p></body></html>`;
}
