import type { BudgetWindow, Config } from '../config/schema.js';
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

export function fleetRequestBudget(local: RequestBudget, shared: SharedBudget, limits: FleetLimits): RequestBudget {
  return {
    forBridge(bridge, options = {}) {
      const gate = local.forBridge(bridge, options);
      const { localAddress, login } = options;
      return {
        localAddress: gate.localAddress,
        async run(target, signal, send) {
          if (limits.perBridge) await shared.take('bridge', limits.perBridge, bridge, signal);
          if (limits.perLogin && login !== undefined) await shared.take('login', limits.perLogin, login, signal);
          return gate.run(target, signal, async () => {
            await shared.take('host', limits.host, budgetHost(target, localAddress), signal);
            return send();
          });
        },
      };
    },
  };
}
