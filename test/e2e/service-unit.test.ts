import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './cli.js';
import { installedGlobally } from './packed.js';

const UNIT = readFileSync(join(ROOT, 'docs', 'gluco-hub.service'), 'utf8');

/** `Key=value` lines of the unit (comments and sections dropped); a key may repeat. */
function directives(unit: string): [string, string][] {
  return unit
    .split('\n')
    .map((l) => /^([A-Za-z]+)=(.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]);
}

const get = (key: string): string[] => directives(UNIT).filter(([k]) => k === key).map(([, v]) => v);

const HAS_SYSTEMD_ANALYZE = spawnSync('systemd-analyze', ['--version']).status === 0;
const NO_VERIFY = 'systemd-analyze not found: the unit was not verified (apt-get install systemd; .ci/run does)';
if (!HAS_SYSTEMD_ANALYZE && process.env.GLUCO_HUB_CI === '1') throw new Error(`GLUCO_HUB_CI=1 but ${NO_VERIFY}`);
if (!HAS_SYSTEMD_ANALYZE) console.warn(NO_VERIFY);

describe('docs/gluco-hub.service', () => {
  it('runs the installed gluco-hub binary (not npx) as forever, stopped by SIGTERM and restarted after a failure', () => {
    const [execStart, ...more] = get('ExecStart');
    expect(more).toEqual([]);
    expect(execStart).toMatch(/^\/\S+\/bin\/gluco-hub forever$/);
    expect(get('KillSignal')).toEqual(['SIGTERM']);
    expect(get('Restart')).toEqual(['on-failure']);
    // A configuration mistake (exit 2) is not fixed by restarting.
    expect(get('RestartPreventExitStatus')).toEqual(['2']);
  });

  it('keeps state under StateDirectory=, reads secrets from an EnvironmentFile and is hardened', () => {
    expect(get('StateDirectory')).toEqual(['gluco-hub']);
    expect(get('WorkingDirectory')).toEqual(['/var/lib/gluco-hub']);
    expect(get('Environment')).toContain('GLUCO_HUB__STATE_DIR=/var/lib/gluco-hub/state');
    expect(get('EnvironmentFile')).toEqual(['/etc/gluco-hub/gluco-hub.env']);
    expect(get('Environment').filter((e) => /TOKEN|PASSWORD|SECRET/i.test(e))).toEqual([]);
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes']]) {
      expect(get(key!)).toEqual([value]);
    }
  });

  it.skipIf(!HAS_SYSTEMD_ANALYZE)('passes systemd-analyze verify without a warning, pointed at the binary installed from the tarball', () => {
    const bin = join(installedGlobally(), 'bin', 'gluco-hub');
    const dir = tempDir('gh-unit-');
    mkdirSync(dir, { recursive: true });
    const unit = join(dir, 'gluco-hub.service');
    writeFileSync(unit, UNIT.replace(/^ExecStart=\S+/m, `ExecStart=${bin}`));
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  }, 240_000);
});
