import { errorTable } from '../../lib/error-table.js';

/** Errors of the internal output (gluco-hub running inside Nightscout, writing to its storage). */
export const internalError = errorTable({
  NSI001: {
    kind: 'storage',
    message: "Nightscout's {collection} storage did not take the write: {reason}",
    hint: "check the site's database connection; the documents wait in the dead-letter queue and are written when it works again",
  },
  NSI002: {
    kind: 'config',
    message: 'the Nightscout that loaded gluco-hub has no {what}',
    hint: 'gluco-hub runs as a plugin of cgm-remote-monitor 15 or later; elsewhere run it on its own with `npx gluco-hub forever`',
  },
});
