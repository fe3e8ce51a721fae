import type { BridgeEvent } from '../lib/contracts/bridge-events.js';

export type Notify = (event: BridgeEvent) => void;

/**
 * The contract says `notify` must not throw; if a listener does anyway, a throwing action would
 * put the whole poller into `status: 'error'` and stop the bridge. Losing one log line or metric
 * is the lesser harm, so the throw ends here.
 */
export function guardNotify(notify: Notify): Notify {
  return (event) => {
    try {
      notify(event);
    } catch {
      // deliberately ignored: see above
    }
  };
}
