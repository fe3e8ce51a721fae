import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archiveOf } from '../../commands/archive.js';
import { loadConfig } from '../../lib/config/load.js';

const cwd = mkdtempSync(path.join(os.tmpdir(), 'gluco-hub-archive-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  return 'did not throw';
};

describe('which archive export and report read', () => {
  it('the only bridge by default, its folder as forever resolves it', () => {
    mkdirSync(path.join(cwd, 'gluco-hub-data', 'simulator'), { recursive: true });
    const config = loadConfig({ env: {}, cwd });
    expect(archiveOf(config, undefined)).toMatchObject({ dir: path.join(cwd, 'gluco-hub-data', 'simulator') });
  });

  it('with several bridges: the one named, else EXP004; an unknown one is EXP003', () => {
    for (const id of ['alice', 'bob']) mkdirSync(path.join(cwd, 'gluco-hub-data', id), { recursive: true });
    const config = loadConfig({ env: {}, cwd });
    const fleet = { ...config, bridges: ['alice', 'bob'].map((id) => ({ ...config.bridges[0]!, id, filesystem: { dir: path.join(cwd, 'gluco-hub-data', id), mode: 0o600 } })) };
    expect(archiveOf(fleet, 'bob').bridge.id).toBe('bob');
    expect(message(() => archiveOf(fleet, undefined))).toBe('[EXP004] 2 bridges are configured (alice, bob); which one?');
    expect(message(() => archiveOf(fleet, 'carol'))).toBe('[EXP003] no bridge "carol"; configured: alice, bob');
  });

  it('a bridge without a filesystem output, or without its folder, is EXP005', () => {
    const config = loadConfig({ env: { CONNECT_NIGHTSCOUT_ENDPOINT: 'https://ns.example', CONNECT_NIGHTSCOUT_TOKEN: 'token-0123456789' }, cwd });
    expect(message(() => archiveOf(config, undefined))).toMatch(/^\[EXP005\] bridge "simulator" has no filesystem output/);
    const missing = loadConfig({ env: { GLUCO_HUB__FILESYSTEM__DIR: 'not-there' }, cwd });
    expect(message(() => archiveOf(missing, undefined))).toBe(`[EXP005] no data folder at ${path.join(cwd, 'not-there')} for bridge "simulator"`);
  });
});
