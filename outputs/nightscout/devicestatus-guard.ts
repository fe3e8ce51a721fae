import type { NightscoutDocument } from '../../lib/domain.js';

/**
 * API v1 inserts every devicestatus it is given, never deduplicating, so
 * one sent twice shows twice. This guard lets through only devicestatus newer than the newest the
 * server has (asked again after any write whose outcome is unknown) and never one this process
 * already sent. Older ones are held back: the server moved past them, and the newest status is
 * the one people look at.
 */
export interface DevicestatusGuard {
  /** The ones to send, oldest first; `held` counts the rest. */
  filter(docs: readonly NightscoutDocument[], serverNewest: () => Promise<number | undefined>): Promise<{ send: NightscoutDocument[]; held: number }>;
  /** The server confirmed these. */
  sent(docs: readonly NightscoutDocument[]): void;
  /** A write failed in a way that may or may not have stored it: ask the server before the next one. */
  uncertain(): void;
}

/** Identifiers remembered; older ones are also below the high-water mark, so forgetting them is safe. */
const REMEMBERED = 10_000;

export function createDevicestatusGuard(): DevicestatusGuard {
  let highWater: number | undefined;
  let known = false;
  const sentIds = new Set<string>();

  const raise = (date: number): void => {
    highWater = highWater === undefined ? date : Math.max(highWater, date);
  };

  return {
    async filter(docs, serverNewest) {
      if (!known) {
        const newest = await serverNewest();
        if (newest !== undefined) raise(newest);
        known = true;
      }
      const seen = new Set<string>();
      const send = [...docs]
        .sort((a, b) => a.date - b.date)
        .filter((doc) => {
          if (sentIds.has(doc.identifier) || seen.has(doc.identifier)) return false;
          if (highWater !== undefined && doc.date <= highWater) return false;
          seen.add(doc.identifier);
          return true;
        });
      return { send, held: docs.length - send.length };
    },
    sent(docs) {
      for (const doc of docs) {
        sentIds.add(doc.identifier);
        raise(doc.date);
      }
      // Insertion order: the oldest identifiers go first.
      for (const id of sentIds) {
        if (sentIds.size <= REMEMBERED) break;
        sentIds.delete(id);
      }
    },
    uncertain() {
      known = false;
    },
  };
}
