/**
 * Benchmarks (not tests): `npm run bench` runs them all, `npm run bench -- fleet` one of them.
 * Each prints a table and writes `bench/results/<name>.json`; nothing here asserts.
 */
import { backlogBenchmark } from './backlog.js';
import { cycleBenchmark } from './cycle.js';
import { fleetBenchmark } from './fleet.js';
import { fleetRedisBenchmark } from './fleet-redis.js';
import { freshnessBenchmark } from './freshness.js';
import { memoryBenchmark } from './memory.js';
import { peerBenchmark } from './peer.js';

const BENCHMARKS: Record<string, (args: readonly string[]) => Promise<void>> = {
  cycle: cycleBenchmark,
  memory: memoryBenchmark,
  fleet: fleetBenchmark,
  'fleet-redis': fleetRedisBenchmark,
  freshness: freshnessBenchmark,
  backlog: backlogBenchmark,
  peer: peerBenchmark,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const named = args.filter((a) => a in BENCHMARKS);
  const unknown = args.filter((a) => !a.startsWith('--') && !(a in BENCHMARKS) && !/^[\d.,]+$/.test(a));
  if (unknown.length > 0) {
    console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  for (const name of named.length > 0 ? named : Object.keys(BENCHMARKS)) await BENCHMARKS[name]!(args);
}

await main();
