import { z } from 'zod';
import type { Collection } from '../../lib/domain.js';
import type { Api } from '../../lib/nightscout/client.js';

/**
 * The answers of a Nightscout read: API v1 returns a bare array,
 * API v3 an envelope `{status, result}` (a bare array before 14.2). Documents stay `unknown`
 * here; only the transform decides what a single document is worth.
 */

const documents = z.array(z.unknown());

export const v1PageSchema = documents;

export const v3PageSchema = z.union([z.looseObject({ status: z.number().optional(), result: documents }), documents]);

/** Pages of one read, merged; what `fetch` hands to `transform` (and `capture` saves). */
export const readAnswerSchema = z.object({
  collection: z.enum(['entries', 'treatments', 'devicestatus']),
  api: z.enum(['v3', 'v1']),
  documents,
});

export interface ReadAnswer {
  collection: Collection;
  api: Api;
  documents: unknown[];
}

/** The first zod issue, for a message: `result.3: expected array`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown shape';
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}
