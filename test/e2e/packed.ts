import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, tempDir } from './cli.js';

export interface Packed {
  tarball: string;
  /** Paths inside the package, as `npm pack` lists them (`dist/commands/bin.js`, `package.json`). */
  files: string[];
  shasum: string;
}

let packed: Packed | undefined;

/** `npm pack` of this checkout (dist/ is built by the global setup), once per test file. */
export function packedTarball(): Packed {
  if (packed) return packed;
  const dir = tempDir('gh-pack-');
  const [info] = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as {
    filename: string;
    shasum: string;
    files: { path: string }[];
  }[];
  packed = { tarball: join(dir, info!.filename), files: info!.files.map((f) => f.path), shasum: info!.shasum };
  return packed;
}

/**
 * The package as a Nightscout site gets it: the tarball installed into a fresh directory under
 * `alias`, the way a site runs `npm install nightscout-connect@npm:gluco-hub`. Returns the site directory.
 */
export function installPacked(alias: string): string {
  const site = tempDir('gh-ns-site-');
  writeFileSync(join(site, 'package.json'), JSON.stringify({ name: 'nightscout-site', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', `${alias}@file:${packedTarball().tarball}`], { cwd: site, stdio: 'pipe' });
  return site;
}

/**
 * The package as a person installs it: `npm install -g` of the tarball into a prefix of its own
 * under the temp folder, far from the clone's node_modules. Returns the prefix (`bin/gluco-hub`,
 * `lib/node_modules/gluco-hub`). The install is kept per tarball content, so every suite of a run
 * (and a rerun of the same build) shares one; it lands under a private name and is renamed into
 * place, so two workers never see half of one.
 */
export function installedGlobally(): string {
  const { tarball, shasum } = packedTarball();
  const prefix = join(tmpdir(), `gluco-hub-global-${shasum.slice(0, 16)}`);
  if (existsSync(join(prefix, 'bin', 'gluco-hub'))) return prefix;
  const staging = `${prefix}.${process.pid}`;
  execFileSync('npm', ['install', '--global', '--prefix', staging, '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: tmpdir(), stdio: 'pipe' });
  try {
    renameSync(staging, prefix);
  } catch (err) {
    // Another worker finished first: use its install.
    if (!existsSync(join(prefix, 'bin', 'gluco-hub'))) throw err;
    rmSync(staging, { recursive: true, force: true });
  }
  return prefix;
}
