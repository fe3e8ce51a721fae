import type { Collection } from '../../lib/domain.js';
import type { Logger } from '../../lib/logger.js';
import { nsError } from '../../lib/nightscout/errors.js';
import type { SiteNames } from '../../lib/nightscout/site.js';
import type { StoreResult } from '../../lib/contracts/output.js';

/**
 * What one `store` did, counted, and the log lines that go with it. A refused document is
 * logged at warn with its code each time; "already there with other immutable fields" is normal
 * when another uploader writes the same readings, so it is said once per output, not per reading.
 */

export interface Tally {
  stored: number;
  duplicates: number;
  rejected: number;
}

export function emptyTally(): Tally {
  return { stored: 0, duplicates: 0, rejected: 0 };
}

export function addTally(into: Tally, more: Tally): Tally {
  into.stored += more.stored;
  into.duplicates += more.duplicates;
  into.rejected += more.rejected;
  return into;
}

export function toStoreResult(tally: Tally): StoreResult {
  return tally.rejected > 0 ? { ...tally } : { stored: tally.stored, duplicates: tally.duplicates };
}

export interface Notices {
  /** A document refused for good: `NS012` (the server said no) or `NS013` (we would not send it). */
  rejected(collection: Collection, identifier: unknown, error: Error): void;
  /** A v3 400 `Field … cannot be modified by the client` on a document that is already there. */
  immutableField(collection: Collection, field: string): void;
}

export function createNotices(log: Logger, names: SiteNames): Notices {
  let warnedImmutable = false;
  return {
    rejected(collection, identifier, err) {
      log.warn({ err, collection, identifier }, `Nightscout output: a ${collection} document was refused and is kept out: ${err.message}`);
    },
    immutableField(collection, field) {
      if (warnedImmutable) return;
      warnedImmutable = true;
      const err = nsError('NS014', { params: { site: names.site, collection, field } });
      log.warn({ err }, err.message);
    },
  };
}
