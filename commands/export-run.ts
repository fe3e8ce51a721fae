import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { StorageError } from '../lib/errors.js';
import { PRIVATE_FILE_MODE } from '../lib/file-mode.js';
import { readingsBetween, type DamagedLines } from '../outputs/filesystem/read.js';
import { archiveOf } from './archive.js';
import { cliSettings, EXIT, load, type GlobalArgs } from './common.js';
import { spanOf } from './date-bounds.js';
import { exportWriter, localTimeFormatter, rowOf, type ExportFormat } from './export-format.js';

export interface ExportArgs extends GlobalArgs {
  bridge?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  format: ExportFormat;
  out?: string | undefined;
  'data-dir'?: string | undefined;
}

export interface ExportJob {
  dir: string;
  fromMs: number;
  toMs: number;
  format: ExportFormat;
  /** Zone of the `local_time` column; default the local one (`TZ`). */
  timeZone?: string | undefined;
}

/** Waits when the reader is behind, so a year of readings never piles up in memory. */
async function write(out: Writable, text: string): Promise<void> {
  if (text.length > 0 && !out.write(text)) await once(out, 'drain');
}

/** Streams the job's readings to `out`, one day file at a time; returns how many rows and damaged lines. */
export async function writeExport(job: ExportJob, out: Writable): Promise<{ rows: number; damaged: DamagedLines }> {
  const writer = exportWriter(job.format);
  const localTime = localTimeFormatter(job.timeZone);
  const damaged: DamagedLines = { count: 0, files: [] };
  let rows = 0;
  await write(out, writer.start());
  for await (const day of readingsBetween(job.dir, job.fromMs, job.toMs, damaged)) {
    await write(out, writer.rows(day.map((r) => rowOf(r, localTime))));
    rows += day.length;
  }
  await write(out, writer.end());
  return { rows, damaged };
}

/** The coded warning for lines that were skipped, or nothing. */
export function damagedWarning(damaged: DamagedLines, dir: string): string | undefined {
  if (damaged.count === 0) return undefined;
  const files = damaged.files.slice(0, 3).join(', ') + (damaged.files.length > 3 ? ` and ${damaged.files.length - 3} more` : '');
  return `[EXP008] skipped ${damaged.count} damaged line(s) that are not stored readings, in ${files} under ${dir} — the rest was read; look at those lines (a disk or copy fault, or an edit)`;
}

async function openOut(file: string): Promise<Writable> {
  const stream = createWriteStream(resolve(file), { mode: PRIVATE_FILE_MODE });
  try {
    await once(stream, 'open');
  } catch (cause) {
    throw new StorageError('EXP007', `cannot write ${resolve(file)}`, { cause, hint: 'pass --out a writable file, or leave it out for stdout' });
  }
  return stream;
}

export async function runExport(args: ExportArgs): Promise<void> {
  const config = load(cliSettings(args, { filesystemDir: args['data-dir'] }));
  const { dir } = archiveOf(config, args.bridge);
  const { fromMs, toMs } = spanOf(args.from, args.to, Date.now(), 14);
  const out = args.out === undefined ? process.stdout : await openOut(args.out);
  const { damaged } = await writeExport({ dir, fromMs, toMs, format: args.format }, out);
  if (out !== process.stdout) {
    out.end();
    await once(out, 'finish');
  }
  const warning = damagedWarning(damaged, dir);
  if (warning !== undefined) process.stderr.write(`${warning}\n`);
  process.exitCode = EXIT.ok;
}
