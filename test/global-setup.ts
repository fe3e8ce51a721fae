import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * End-to-end suites run the real CLI from dist/ and load the Nightscout plugin from dist/plugin.cjs,
 * so both are built once, by the package's own build script, before any suite starts; a stale
 * dist/ would test yesterday's code.
 */
export default function setup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
}
