import type { Output } from '../contracts/output.js';
import { FleetError } from '../errors.js';

/**
 * A bridge's destination in a fleet: each store is let through only while this process's lease on
 * the bridge is still trusted. A process that stalled past its lease (a long GC, a loaded machine)
 * may wake up in the middle of a frame whose batch another process now fetches too; a destination
 * that keeps no epoch (a folder, a broker) would then hear it twice. The batch is not written here
 * (FLEET007): the output's queue keeps it, saved in the bridge's state under the same lease's
 * fence, for whichever process holds the lease to deliver, once. The lease rounds stop the bridge after.
 */
export function leaseGated(output: Output, bridge: string, holds: () => boolean): Output {
  return {
    name: output.name,
    ...(output.newestFirst ? { newestFirst: output.newestFirst } : {}),
    start: () => output.start(),
    newest: (signal) => output.newest(signal),
    stop: () => output.stop(),
    store(batch, signal, progress) {
      if (!holds()) {
        return Promise.reject(
          new FleetError('FLEET007', `batch for bridge "${bridge}" not written to ${output.name}: this process's lease on it ran out before the write`, {
            hint: 'none: the lease\'s holder delivers it; if frequent, the process stalls longer than a lease (CPU, GC): raise fleet.leaseMs',
          }),
        );
      }
      return output.store(batch, signal, progress);
    },
  };
}
