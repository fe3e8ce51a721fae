import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './cli.js';

/**
 * The package as a Nightscout site gets it: `npm pack` of this checkout (dist/ is built by the
 * global setup), installed into a fresh directory under `alias`, the way a site runs
 * `npm install nightscout-connect@npm:gluco-hub`. Returns the site directory.
 */
export function installPacked(alias: string): string {
  const site = tempDir('gh-ns-site-');
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', site], { cwd: ROOT, encoding: 'utf8' })) as { filename: string }[];
  const tarball = join(site, packed[0]!.filename);
  writeFileSync(join(site, 'package.json'), JSON.stringify({ name: 'nightscout-site', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', `${alias}@file:${tarball}`], { cwd: site, stdio: 'pipe' });
  return site;
}
