import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Running } from './cli.js';

/** What the fleet e2e suites read from a `forever` process and its files. */

export interface Line {
  msg: string;
  time: number;
  bridge?: string;
  part?: string;
  err?: { code?: string };
}

/** The process's JSON log lines, stderr then stdout. */
export function lines(run: Running): Line[] {
  return run
    .output()
    .stderr.concat(run.output().stdout)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

/** The bridges that stored a frame of entries in this process. */
export const framed = (run: Running): Set<string> => new Set(lines(run).filter((l) => /^entries: \d+ new/.test(l.msg)).map((l) => l.bridge as string));

export const alive = (run: Running): boolean => run.child.exitCode === null && run.child.signalCode === null;

/** Every document in a bridge's filesystem output: `<collection>/<identifier>`, and its date. */
export function documents(dir: string): { id: string; date?: number; collection: string }[] {
  const docs: { id: string; date?: number; collection: string }[] = [];
  for (const collection of readdirSync(dir)) {
    for (const file of readdirSync(join(dir, collection)).filter((f) => f.endsWith('.jsonl'))) {
      for (const line of readFileSync(join(dir, collection, file), 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const doc = JSON.parse(line) as { identifier: string; date?: number };
        docs.push({ id: `${collection}/${doc.identifier}`, collection, ...(doc.date === undefined ? {} : { date: doc.date }) });
      }
    }
  }
  return docs;
}

/** Every document's identifier in a bridge's filesystem output. */
export const identifiers = (dir: string): string[] => documents(dir).map((d) => d.id);
