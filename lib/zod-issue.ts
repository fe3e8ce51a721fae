import type { z } from 'zod';

/** The first issue of a failed parse, as `path: message`, for a coded error's message. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown issue';
}
