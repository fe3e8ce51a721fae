import type { Logger } from '../../lib/logger.js';
import type { StateStore } from '../../lib/state-store.js';
import { keyOf } from './queue.js';
import { rejectedFromLines, type RejectedLine } from './persisted.js';

/**
 * The documents an output will not take, on disk for a person (`output-<name>-rejected.jsonl`,
 * JSON lines, 0600 like every state file): refused for good by the target, failed on their own
 * too often, or dated too far ahead. Bounded; the oldest lines go first. The keys are kept in
 * memory, so a vendor that sends the same document every frame adds one line, not one per frame.
 */

/** Lines kept; beyond this the oldest are dropped. */
export const MAX_REJECTED = 10_000;

export interface RejectedFile {
  load(): Promise<void>;
  has(key: string): boolean;
  /** Appends the lines whose documents are not in the file yet; returns how many were new. */
  add(lines: readonly RejectedLine[]): Promise<number>;
}

export function rejectedFile(state: StateStore, key: string, log: Logger): RejectedFile {
  let lines: RejectedLine[] = [];
  const keys = new Set<string>();
  /** Adds run one after another: each rewrites the file from the lines before it. */
  let tail: Promise<unknown> = Promise.resolve();
  async function addNow(more: readonly RejectedLine[]): Promise<number> {
    const fresh = more.filter((line) => !keys.has(keyOf(line.collection, line.document)));
    if (fresh.length === 0) return 0;
    const next = [...lines, ...fresh].slice(-MAX_REJECTED);
    await state.writeLines(key, next);
    lines = next;
    keys.clear();
    for (const line of lines) keys.add(keyOf(line.collection, line.document));
    return fresh.length;
  }
  return {
    async load() {
      const { items, skipped } = rejectedFromLines((await state.readLines(key)) ?? []);
      if (skipped > 0) log.warn({ file: key, skipped }, `${key}: ${skipped} lines were not rejected documents; left out`);
      lines = items;
      keys.clear();
      for (const line of lines) keys.add(keyOf(line.collection, line.document));
    },
    has(k) {
      return keys.has(k);
    },
    add(more) {
      const run = tail.then(() => addNow(more));
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
