import { join } from 'node:path';
import type { BridgeConfig, Config } from '../lib/config/schema.js';
import type { Logger } from '../lib/logger.js';
import type { RequestGate } from '../lib/request-budget.js';
import { createStateStore, type StateStore } from '../lib/state-store.js';
import type { DriverContext } from '../lib/contracts/source.js';

/** Where a bridge's state lives when not its folder (a fleet's Redis), and whether it may only be read. */
export interface StateOptions {
  stateFor?: (bridgeLog: Logger) => StateStore;
  sharedState?: boolean;
}

/**
 * What a bridge's driver gets from the process: clock, its logger, its own state folder, and its
 * share of the fleet's request budget.
 */
export function driverContext(
  config: Config,
  bridge: BridgeConfig,
  log: Logger,
  now: () => number = Date.now,
  requests?: RequestGate,
  options: StateOptions = {},
): DriverContext {
  const bridgeLog = log.child({ bridge: bridge.id, source: bridge.source.kind });
  const state = options.stateFor?.(bridgeLog) ?? createStateStore(join(config.stateDir, bridge.id), bridgeLog);
  if (!options.sharedState) return { now, log: bridgeLog, state, requests };
  return { now, log: bridgeLog, state: readOnly(state, bridgeLog), requests, sharedState: true };
}

/** Reads what the owner saved; writes nothing over it (said once at debug level). */
function readOnly(state: StateStore, log: Logger): StateStore {
  let said = false;
  const skip = (key: string): Promise<void> => {
    if (!said) log.debug({ key }, 'another gluco-hub owns the state folder: not saving');
    said = true;
    return Promise.resolve();
  };
  return {
    read: (key) => state.read(key),
    readLines: (key) => state.readLines(key),
    write: (key) => skip(key),
    writeLines: (key) => skip(key),
    appendLines: (key) => skip(key),
    remove: (key) => skip(key),
  };
}
