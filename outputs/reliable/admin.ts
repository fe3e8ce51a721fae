import { readdirSync } from 'node:fs';
import type { StateStore } from '../../lib/state-store.js';
import { queueFromLines, queueLine, rejectedFromLines, stateKeys, type RejectedLine } from './persisted.js';
import { keyOf, type QueuedDoc } from './queue.js';

/**
 * What `gluco-hub dlq` does to one output's files while no bridge runs: read them, send rejected
 * documents back to the queue, or drop documents for good. Documents are picked by identifier (or,
 * for one without, its date), or all of them.
 */

export interface OutputFiles {
  output: string;
  queue: QueuedDoc[];
  rejected: RejectedLine[];
}

/** The outputs that keep a queue or rejected list among a bridge's list state keys (`output-<name>-queue`, …). */
export function outputsNamed(listKeys: readonly string[]): string[] {
  const outputs = new Set<string>();
  for (const key of listKeys) {
    const match = /^output-(.+)-(queue|rejected)$/.exec(key);
    if (match) outputs.add(match[1]!);
  }
  return [...outputs].sort();
}

/** The outputs with a queue or rejected file in a bridge's state folder. */
export function outputsIn(bridgeDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(bridgeDir);
  } catch {
    return [];
  }
  return outputsNamed(names.filter((name) => name.endsWith('.jsonl')).map((name) => name.slice(0, -'.jsonl'.length)));
}

export async function readOutputFiles(state: StateStore, output: string): Promise<OutputFiles> {
  const keys = stateKeys(output);
  return {
    output,
    queue: queueFromLines((await state.readLines(keys.queue)) ?? []).items,
    rejected: rejectedFromLines((await state.readLines(keys.rejected)) ?? []).items,
  };
}

/** Which documents a command means: every one, or those whose identifier (or date) is listed. */
export type Pick = { all: true } | { ids: readonly string[] };

function picked(pick: Pick, doc: { identifier?: unknown; date: number }): boolean {
  if ('all' in pick) return true;
  return pick.ids.includes(typeof doc.identifier === 'string' ? doc.identifier : String(doc.date));
}

/**
 * Rejected documents back into the queue, and failed ones in the queue to the front: each starts
 * again with no failed attempts, so the next run sends it at once. Returns how many moved.
 */
export async function retry(state: StateStore, files: OutputFiles, pick: Pick): Promise<number> {
  const keys = stateKeys(files.output);
  const back = files.rejected.filter((line) => picked(pick, line.document));
  const queue = new Map<string, QueuedDoc>(files.queue.map((item) => [keyOf(item.collection, item.document), item]));
  let moved = 0;
  for (const [key, item] of queue) {
    if (item.attempts > 0 && picked(pick, item.document)) {
      queue.set(key, { collection: item.collection, document: item.document, attempts: 0 });
      moved += 1;
    }
  }
  for (const line of back) {
    queue.set(keyOf(line.collection, line.document), { collection: line.collection, document: line.document as QueuedDoc['document'], attempts: 0 });
    moved += 1;
  }
  if (moved === 0) return 0;
  await state.writeLines(keys.queue, [...queue.values()].map(queueLine));
  if (back.length > 0) await state.writeLines(keys.rejected, files.rejected.filter((line) => !back.includes(line)));
  return moved;
}

/** Removes documents for good, from the rejected file or from the queue. Returns how many went. */
export async function drop(state: StateStore, files: OutputFiles, pick: Pick, from: 'rejected' | 'queue'): Promise<number> {
  const keys = stateKeys(files.output);
  if (from === 'rejected') {
    const kept = files.rejected.filter((line) => !picked(pick, line.document));
    const gone = files.rejected.length - kept.length;
    if (gone > 0) await state.writeLines(keys.rejected, kept);
    return gone;
  }
  const kept = files.queue.filter((item) => !picked(pick, item.document));
  const gone = files.queue.length - kept.length;
  if (gone > 0) await state.writeLines(keys.queue, kept.map(queueLine));
  return gone;
}
