import { readFileSync } from 'node:fs';

/** gluco-hub's version from package.json (one level up from `lib/`, two from `dist/lib/`). */
export function packageVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'gluco-hub' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not at this depth; try the next.
    }
  }
  return 'unknown';
}

/** The commit this build came from, where the build or platform says (`GIT_SHA`, `SOURCE_COMMIT`). */
export function gitSha(env: NodeJS.ProcessEnv = process.env): string {
  return env.GIT_SHA || env.SOURCE_COMMIT || 'unknown';
}
