import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where every benchmark writes its JSON; docs/performance.md cites these files. */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

export type Row = Record<string, string | number>;

export interface Report {
  benchmark: string;
  /** What the numbers are measured against (the targets). */
  targets: Record<string, string>;
  rows: Row[];
  /** Anything else worth keeping next to the table (settings, raw samples). */
  details?: Record<string, unknown>;
}

/** Prints the table and writes `bench/results/<name>.json` with the machine it ran on. */
export function publish(report: Report): void {
  console.log(`\n${report.benchmark}`);
  console.table(report.rows);
  for (const [what, target] of Object.entries(report.targets)) console.log(`  target: ${what}: ${target}`);
  const machine = { node: process.version, platform: `${process.platform}-${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${report.benchmark}.json`);
  writeFileSync(file, `${JSON.stringify({ ...report, machine, measuredAt: new Date().toISOString() }, null, 2)}\n`);
  console.log(`  → ${file}`);
}

export const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** `--name value` from the command line, as a number. */
export function numberFlag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
  return Number.isFinite(v) ? v : fallback;
}
