import { loadConfig } from '../lib/config/load.js';
import { configFileOf, tokenRefusal } from '../lib/container/token-guard.js';
import { leanV8 } from '../lib/lean-v8.js';

/**
 * The container image's entrypoint: refuses `forever` without a bearer token (DOCKER001), then runs
 * the CLI in this same process, so the container's SIGTERM reaches gluco-hub itself.
 */
leanV8(); // as commands/bin.ts does, before the config code runs

const argv = process.argv.slice(2);
let refusal;
try {
  const config = loadConfig({ env: process.env, cwd: process.cwd(), cli: { config: configFileOf(argv) } });
  refusal = tokenRefusal(argv, config.http);
} catch {
  // An invalid configuration is the CLI's to report, with its own codes.
}
if (refusal) {
  process.stderr.write(`${refusal.toUserLine()}\n`);
  process.exitCode = 2;
} else {
  await import('./bin.js');
}
