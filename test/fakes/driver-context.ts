import { createLogger, type Logger } from '../../lib/logger.js';
import type { StateStore } from '../../lib/state-store.js';
import type { DriverContext } from '../../lib/contracts/source.js';

/** A state store in memory, with the JSON round-trip the real one does. */
export function memoryStateStore(initial: Record<string, unknown> = {}): StateStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>(Object.entries(initial).map(([k, v]) => [k, JSON.parse(JSON.stringify(v)) as unknown]));
  return {
    data,
    read: (key) => Promise.resolve(data.get(key)),
    write: (key, value) => {
      data.set(key, JSON.parse(JSON.stringify(value)) as unknown);
      return Promise.resolve();
    },
    readLines: (key) => Promise.resolve(data.get(`${key}.jsonl`) as unknown[] | undefined),
    writeLines: (key, values) => {
      data.set(`${key}.jsonl`, JSON.parse(JSON.stringify(values)) as unknown);
      return Promise.resolve();
    },
    appendLines: (key, values) => {
      const before = (data.get(`${key}.jsonl`) as unknown[] | undefined) ?? [];
      data.set(`${key}.jsonl`, [...before, ...(JSON.parse(JSON.stringify(values)) as unknown[])]);
      return Promise.resolve();
    },
    remove: (key) => {
      data.delete(key);
      data.delete(`${key}.jsonl`);
      return Promise.resolve();
    },
  };
}

export const silentLog: Logger = createLogger({ level: 'silent', format: 'json' });

export function testDriverContext(now: () => number, overrides: Partial<DriverContext> = {}): DriverContext {
  return { now, log: silentLog, state: memoryStateStore(), ...overrides };
}
