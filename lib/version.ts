import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The app's name: the npm package, the command, the `app` of every document it writes, its name
 * towards Home Assistant. It is on the wire (a Nightscout v3 site refuses a changed `app` on a
 * document it holds; Home Assistant configs are recognised as ours by it): never change it.
 */
export const APP_NAME = 'gluco-hub';

let cached: string | undefined;

/**
 * gluco-hub's version from its `package.json`, read once. The file is found by walking up from
 * this module, because it sits one level deeper under `dist/` than in the sources.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === APP_NAME && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return (cached = 'unknown');
    dir = parent;
  }
}

/** The commit gluco-hub was built from: `GIT_SHA`, else `SOURCE_COMMIT` (set by build platforms), else `unknown`. */
export function gitSha(env: NodeJS.ProcessEnv = process.env): string {
  const sha = env.GIT_SHA?.trim() || env.SOURCE_COMMIT?.trim();
  return sha ? sha : 'unknown';
}
