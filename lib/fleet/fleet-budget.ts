import type { BudgetWindow, Config } from '../config/schema.js';
import { FleetError } from '../errors.js';
import { budgetHost, type RequestBudget } from '../request-budget.js';
import { hostWindow, type BudgetLimit } from './budget-keys.js';
import type { SharedBudget } from './shared-budget.js';

/**
 * The request budget of a process in a fleet: the process's own budget (fair turns per bridge,
 * requests in flight) and, before each request, the fleet-wide ones in Redis — per bridge and per
 * login first (a bridge over its own budget waits without holding a turn others could use), then
 * per vendor host × egress address, the same rate as the per-process setting but for all
 * processes together.
 */
export interface FleetLimits {
  host: BudgetLimit;
  perBridge?: BudgetLimit | undefined;
  perLogin?: BudgetLimit | undefined;
}

const windowOf = (w: BudgetWindow | undefined): BudgetLimit | undefined => (w === undefined ? undefined : { points: w.requests, seconds: w.seconds });

export function fleetLimits(budget: Config['vendorBudget']): FleetLimits {
  return { host: hostWindow(budget.requestsPerSecond), perBridge: windowOf(budget.perBridge), perLogin: windowOf(budget.perLogin) };
}

/**
 * `holds`: whether this process's lease on the bridge is still trusted now. Checked last, just
 * before the request leaves: a process whose event loop stalled past its lease (a long GC, a
 * loaded machine) may wake up to a request already budgeted, and by then another process may run
 * the bridge; that request must not go out (FLEET006). The lease rounds stop the bridge after.
 */
export function fleetRequestBudget(local: RequestBudget, shared: SharedBudget, limits: FleetLimits, holds?: (bridge: string) => boolean): RequestBudget {
  return {
    forBridge(bridge, options = {}) {
      const gate = local.forBridge(bridge, options);
      const { localAddress, login } = options;
      const lease = options.lease ?? bridge;
      return {
        localAddress: gate.localAddress,
        async run(target, signal, send) {
          if (limits.perBridge) await shared.take('bridge', limits.perBridge, bridge, signal);
          if (limits.perLogin && login !== undefined) await shared.take('login', limits.perLogin, login, signal);
          return gate.run(target, signal, async () => {
            await shared.take('host', limits.host, budgetHost(target, localAddress), signal);
            if (holds && !holds(lease)) {
              throw new FleetError('FLEET006', `request for bridge "${bridge}" not sent: this process's lease on it ran out before the request could leave`, { hint: 'none: whichever process holds the lease polls it; if frequent, the process stalls longer than a lease (CPU, GC): raise fleet.leaseMs' });
            }
            return send();
          });
        },
      };
    },
  };
}
