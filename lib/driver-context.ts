import { join } from 'node:path';
import type { BridgeConfig, Config } from './config/schema.js';
import type { Logger } from './logger.js';
import type { RequestGate } from './request-budget.js';
import { createStateStore } from './state-store.js';
import type { DriverContext } from '../sources/types.js';

/**
 * What a bridge's driver gets from the process: clock, its logger, its own state folder, and its
 * share of the fleet's request budget.
 */
export function driverContext(config: Config, bridge: BridgeConfig, log: Logger, now: () => number = Date.now, requests?: RequestGate): DriverContext {
  const bridgeLog = log.child({ bridge: bridge.id, source: bridge.source.kind });
  return { now, log: bridgeLog, state: createStateStore(join(config.stateDir, bridge.id), bridgeLog), requests };
}
