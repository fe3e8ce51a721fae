import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { delimiter, dirname, join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { call } from '../fakes/http-call.js';
import { freePort } from '../fakes/brokers.js';
import { ROOT, runCli, startCli, tempDir } from './cli.js';
import { installedGlobally, packedTarball } from './packed.js';

/** What the package may hold: the build and the documents it points to, nothing from a developer's folder. */
const SHIPPED = /^(?:package\.json|README\.md|machines\.md|LICENSE(?:\.md)?|docs\/[\w./-]+\.(?:md|json|service|yaml)|dist\/.+\.(?:js|cjs|js\.map))$/;

/** `name`, `@scope/name` or either with a subpath; also keeps out quoted text that merely follows "from". */
const PACKAGE_SPECIFIER = /^(?:@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*(?:\/[\w.~/-]*)?$/;

/** The bare package names a built file loads (`import … from 'x'`, `import('x')`, `require("x")`). */
function importedPackages(code: string): string[] {
  const specs = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs
    .filter((s) => PACKAGE_SPECIFIER.test(s) && !builtinModules.includes(s))
    .map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/'));
}

function builtFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.c?js$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Node's lookup for a package from `from`, stopping at `top`: nothing outside the install may serve. */
function resolvesWithin(name: string, from: string, top: string): boolean {
  for (let dir = from; dir.startsWith(top); dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', name, 'package.json'))) return true;
  }
  return false;
}

describe('gluco-hub installed from its tarball (`npm install -g`), run away from the clone', () => {
  let prefix: string;
  let bin: string;
  /** A machine that never saw the clone: an empty HOME, a temp working folder, only node on the PATH. */
  const outsider = (extra: Record<string, string> = {}): { cwd: string; command: string[]; env: Record<string, string> } => ({
    cwd: tempDir('gh-outsider-'),
    command: [bin],
    env: { HOME: tempDir('gh-home-'), PATH: [join(prefix, 'bin'), dirname(process.execPath)].join(delimiter), ...extra },
  });

  beforeAll(() => {
    prefix = installedGlobally();
    bin = join(prefix, 'bin', 'gluco-hub');
  }, 240_000);

  it('ships the build and its documents only, with every file package.json points at', () => {
    const { files } = packedTarball();
    expect(files.filter((f) => !SHIPPED.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; main: string };
    for (const target of [...Object.values(pkg.bin), pkg.main]) expect(files).toContain(target);
    // npm adds `bin` and `main` on its own; the modules they load ship only through `files`.
    const built = builtFiles(join(ROOT, 'dist')).map((f) => relative(ROOT, f).split(sep).join('/'));
    expect(built.filter((f) => !files.includes(f))).toEqual([]);
    // A compiled file whose source is gone would still ship from a stale dist/.
    const stale = files
      .filter((f) => f.startsWith('dist/') && f.endsWith('.js'))
      .filter((f) => !existsSync(join(ROOT, f.slice('dist/'.length).replace(/\.js$/, '.ts'))));
    expect(stale).toEqual([]);
  });

  it('finds every package its built code loads inside the install (a runtime dependency kept in devDependencies fails here)', () => {
    const pkgDir = join(prefix, 'lib', 'node_modules', 'gluco-hub');
    const missing = new Set<string>();
    let seen = 0;
    for (const file of builtFiles(join(pkgDir, 'dist'))) {
      for (const name of importedPackages(readFileSync(file, 'utf8'))) {
        seen++;
        if (!resolvesWithin(name, pkgDir, prefix)) missing.add(name);
      }
    }
    expect(seen).toBeGreaterThan(20);
    expect([...missing].sort()).toEqual([]);
  });

  it('capture runs the simulator and prints what it fetched', async () => {
    const run = await runCli(['capture', '--json'], { ...outsider(), timeoutMs: 30_000 });
    expect(run.stderr).not.toMatch(/Cannot find (?:module|package)|ERR_MODULE_NOT_FOUND/);
    expect(run.code).toBe(0);
    const [capture] = JSON.parse(run.stdout) as { source: string; loops: { loop: string }[] }[];
    expect(capture?.source).toBe('simulator');
    expect(capture?.loops.map((l) => l.loop)).toContain('entries');
  }, 40_000);

  it('forever serves /healthz, writes its files in the working folder and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const where = outsider({ GLUCO_HUB__HTTP__ENABLED: 'true', GLUCO_HUB__HTTP__BIND: `127.0.0.1:${port}` });
    const cli = startCli(['forever'], where);
    try {
      const exitedEarly = cli.exit.then((code) => Promise.reject(new Error(`exited ${code} before its first frame:\n${cli.output().stderr}`)));
      await Promise.race([cli.until((o) => o.stderr.includes('"loop":"entries"') && o.stderr.includes('"outcome":"success"'), 30_000), exitedEarly]);
      const health = await call(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exit).toBe(0);
    expect(readdirSync(join(where.cwd, 'gluco-hub-data', 'simulator', 'entries')).length).toBeGreaterThan(0);
  }, 40_000);
});
