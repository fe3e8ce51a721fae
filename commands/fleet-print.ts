import type { BridgeLease, BudgetStatus, BudgetUse, FleetStatus } from '../app/fleet/status.js';

/** Where the leases were read, for the heading: never the password, only whether one is set. */
export interface FleetSource {
  url: string;
  prefix: string;
  passwordSet: boolean;
  atMs: number;
}

const seconds = (ms: number | null): string => (ms === null ? '' : `${(ms / 1000).toFixed(1)} s`);

/** How long a lease has been held, to the unit a person reads at a glance: `42 s`, `17 min`, `3 h 05 min`, `2 d 4 h`. */
export function heldFor(ms: number | null): string {
  if (ms === null) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function note(b: BridgeLease): string {
  const notes = [!b.holder && 'NO HOLDER: polled by no process', b.late && 'renewal late: holder stuck, cut off or dead', !b.configured && 'not in this config'];
  return notes.filter(Boolean).join('; ');
}

/** Names at most `max` of them, then how many more. */
function some(names: readonly string[], max = 10): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  // Numbers right-aligned (epoch, times), words left; no trailing blanks.
  const right = new Set([2, 3, 4, 5]);
  return rows.map((r) => r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

const use = (u: { used: number; waited: number }): string => `${u.used}${u.waited > 0 ? ` (${u.waited} waited)` : ''}`;

function budgetRows(rows: readonly BudgetUse[]): string[] {
  const cells = [['budget', 'last minute', 'this minute', 'allowed a minute']];
  for (const r of rows) cells.push([r.kind === 'host' ? r.key : `${r.kind} ${r.key}`, use(r.lastMinute), use(r.thisMinute), r.allowedPerMinute === undefined ? '-' : String(r.allowedPerMinute)]);
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) => `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`.trimEnd());
}

/** The vendor budgets, all processes together: requests let through per vendor host × address, and who had to wait. */
function formatBudget(budget: BudgetStatus): string[] {
  const heading = `Vendor requests, all processes (last minute from ${new Date(budget.lastMinuteMs).toISOString().slice(11, 16)} UTC, then this minute so far):`;
  if (budget.hosts.length === 0) return [heading, '  none counted in these two minutes'];
  const lines = [heading, ...budgetRows(budget.hosts)];
  if (budget.waiting.length > 0) lines.push(`Bridges and logins that waited for their own budget (${budget.waiting.length}):`, ...budgetRows(budget.waiting.slice(0, 10)));
  if (budget.waiting.length > 10) lines.push(`  and ${budget.waiting.length - 10} more (--json lists every one)`);
  return lines;
}

/** `fleet status` for a person at a terminal: a row per bridge, a line per holding process, then the vendor budgets. */
export function formatFleetStatus(status: FleetStatus & { budget?: BudgetStatus }, source: FleetSource): string {
  const lines = [
    `Redis ${source.url} (prefix ${source.prefix}${source.passwordSet ? ', password ***' : ''}), lease time ${seconds(status.leaseMs)}, read ${new Date(source.atMs).toISOString()}`,
    '',
  ];
  if (status.bridges.length === 0) return [...lines, 'No bridges configured and no leases in Redis under this prefix.'].join('\n');
  const rows = [['bridge', 'holder (host:pid:id)', 'epoch', 'held for', 'renewed ago', 'time left', 'note']];
  for (const b of status.bridges) rows.push([b.bridge, b.holder?.token ?? '-', String(b.epoch), heldFor(b.heldForMs), seconds(b.renewedAgoMs), seconds(b.remainingMs), note(b)]);
  lines.push(...table(rows), '');
  const configured = status.bridges.filter((b) => b.configured);
  lines.push(`${status.holders.length} process(es) hold ${configured.filter((b) => b.holder).length} of ${configured.length} configured bridge(s)${status.unconfigured.length > 0 ? ` (and ${status.unconfigured.length} not in this config)` : ''}:`);
  for (const { holder, bridges } of status.holders) {
    const who = holder.host === undefined ? holder.token : `${holder.host} pid ${holder.pid} (${holder.token})`;
    lines.push(`  ${who}: ${bridges.length} — ${some(bridges)}`);
  }
  if (status.unheld.length > 0) lines.push(`${status.unheld.length} bridge(s) with no holder, polled by no process now: ${some(status.unheld)}`);
  if (status.budget) lines.push('', ...formatBudget(status.budget));
  return lines.join('\n');
}
