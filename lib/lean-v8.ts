import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a process that waits on the network nearly all the time, set before the CLI's
 * code loads (docs/performance.md, `memory` and `peer`):
 * - `--optimize-for-size`: a smaller heap for a little speed (about 12 MB less RSS for one bridge).
 * - `--max-opt=1`: bytecode and the baseline compiler only, no optimizing compiler. A bridge's few
 *   frames a minute never repay TurboFan: it cost about 9 MB of RSS (its compiler's memory and code
 *   pages) and more start-up CPU than it saved. The price is paid by bulk work only: a 20,000-reading
 *   back-fill takes about 40 % more CPU (same wall time), a 300-bridge fleet's frame about 10 %.
 *   So not in a fleet (`GLUCO_HUB__STATE__URL` set): its processes run thousands of bridges each,
 *   where CPU is the price, and 9 MB per process is not.
 */
export function leanV8Flags(env: NodeJS.ProcessEnv): string[] {
  return env.GLUCO_HUB__STATE__URL ? ['--optimize-for-size'] : ['--optimize-for-size', '--max-opt=1'];
}

export function leanV8(env: NodeJS.ProcessEnv = process.env): void {
  for (const flag of leanV8Flags(env)) setFlagsFromString(flag);
}
