import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeLibreLinkUp, type FakeLibreLinkUp } from '../fakes/llu-server.js';
import { createFakeNightscoutCtx, type FakeNightscoutCtx } from '../fakes/nightscout-ctx.js';
import { perTest } from '../fakes/per-test.js';
import { ROOT, tempDir } from './cli.js';
import { installPacked } from './packed.js';

/**
 * gluco-hub inside Nightscout: the packed package, installed under the name `nightscout-connect`
 * and loaded with a CommonJS require() as cgm-remote-monitor loads it,
 * runs a source against its fake cloud and writes through the fake site's own storage.
 */

interface PluginHandle {
  run(): Promise<void>;
  stop(): Promise<void>;
}
type Plugin = (env: unknown, ctx: unknown) => PluginHandle | undefined;

const MIN = 60_000;
const PASSWORD = 'correct-horse';
let site: string;
let plugin: Plugin;

beforeAll(() => {
  site = installPacked('nightscout-connect');
  plugin = createRequire(join(site, 'package.json'))('nightscout-connect') as Plugin;
}, 180_000);

const fakeLlu = perTest(startFakeLibreLinkUp);
const handles: PluginHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
  vi.unstubAllEnvs();
});

/** Nightscout's env for one site: `CONNECT_*` as `extendedSettings.connect`, a private state dir. */
function siteEnv(connect: Record<string, unknown>, extra: { enable?: string[] } = {}): unknown {
  vi.stubEnv('GLUCO_HUB__STATE_DIR', tempDir('gh-plugin-state-'));
  vi.stubEnv('GLUCO_HUB__LOG__LEVEL', process.env.PLUGIN_TEST_LOG ?? 'silent');
  return { extendedSettings: { connect }, enable: extra.enable ?? ['careportal', 'connect'] };
}

function linkUp(llu: FakeLibreLinkUp): Record<string, unknown> {
  return { source: 'linkup', linkUpUsername: llu.scenario.email, linkUpPassword: PASSWORD, linkUpServer: llu.url };
}

function start(env: unknown, ctx: FakeNightscoutCtx): PluginHandle {
  const handle = plugin(env, ctx);
  if (!handle) throw new Error(`the plugin did not start: ${JSON.stringify(ctx.bootErrors)}`);
  handles.push(handle);
  return handle;
}

interface HostRun {
  code: number | null;
  stderr: string;
  report: { type: string; handle: string[] | string; bootErrors: unknown[]; libraries: string[]; written?: Record<string, number>; listeners?: string[] };
}

/** test/fixtures/plugin/cjs-host.cjs in a Node with require(esm) turned off, in the site directory. */
function cjsHost(settings: Record<string, unknown>): Promise<HostRun> {
  const fixture = join(ROOT, 'test', 'fixtures', 'plugin', 'cjs-host.cjs');
  const child = spawn(process.execPath, ['--no-experimental-require-module', fixture], {
    cwd: site,
    env: { PATH: process.env.PATH, GLUCO_HUB__STATE_DIR: tempDir('gh-plugin-state-'), PLUGIN_SETTINGS: JSON.stringify(settings) },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => resolve({ code, stderr, report: JSON.parse(stdout || '{}') as HostRun['report'] }));
  });
}

const sgvTimes = (ctx: FakeNightscoutCtx): number[] => ctx.entries.docs.filter((d) => d.type === 'sgv').map((d) => d.date as number);
const writtenTimes = (ctx: FakeNightscoutCtx): number[] => ctx.entries.calls.flat().map((d) => d.date as number);

describe('loaded as Nightscout loads nightscout-connect', () => {
  it('require() returns the plugin function itself, also on a Node that cannot require() ES modules', async () => {
    expect(typeof plugin).toBe('function');
    const run = await cjsHost({ source: 'simulator', simulatorInterval: 60 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.report).toMatchObject({ type: 'function', handle: ['run', 'stop'], bootErrors: [], listeners: [] });
    expect(run.report.libraries).toEqual(expect.arrayContaining(['zod', 'xstate', 'pino']));
    // One day of one-minute simulator readings back-filled into an empty site, then a clean stop.
    expect(run.report.written?.entries).toBeGreaterThanOrEqual(1380);
    expect(run.stderr).not.toMatch(/ERR_REQUIRE_ESM|ERR_REQUIRE_ASYNC_MODULE/);
  });

  it("logs quietly into the site's log, and never a credential", async () => {
    const llu = await fakeLlu({});
    const run = await cjsHost(linkUp(llu));
    expect(run.code, run.stderr).toBe(0);
    expect(run.report.written?.entries).toBeGreaterThan(100);
    const lines = run.stderr.split('\n').filter(Boolean);
    expect(lines.length, run.stderr).toBeLessThanOrEqual(5);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'gluco-hub linkup → this Nightscout: running',
      'logged in to LibreLink Up',
      'following this LibreLink Up connection',
      'gluco-hub stopped',
    ]);
    expect(run.stderr).not.toContain(PASSWORD);
    expect(run.stderr).not.toContain(llu.issuedTokens[0]);
  });

  it('on a site that asks for no source, the bridge\'s libraries stay unloaded (Nightscout requires the plugin on every boot)', async () => {
    const run = await cjsHost({});
    expect(run.code, run.stderr).toBe(0);
    expect(run.report).toMatchObject({ type: 'function', handle: 'undefined', bootErrors: [] });
    for (const library of ['zod', 'xstate', 'axios', 'pino', 'yargs']) expect(run.report.libraries).not.toContain(library);
  });

  it('with no CONNECT_SOURCE it returns undefined and stays silent', () => {
    const ctx = createFakeNightscoutCtx();
    expect(plugin({ extendedSettings: {} }, ctx)).toBeUndefined();
    expect(plugin({ extendedSettings: { connect: { linkUpUsername: 'x' } } }, ctx)).toBeUndefined();
    expect(ctx.bootErrors).toEqual([]);
    expect(ctx.bus.eventNames()).toEqual(['data-received']);
  });

  it('bad settings become boot errors before it returns, coded as the CLI codes them, with no secret in them', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ source: 'linkup', linkUpPassword: 'Sekr1t-pw!' }, /^\[CFG003\] missing source\.username: set CONNECT_LINK_UP_USERNAME/],
      [{ source: 'linkup', linkUpUsername: 'me@example.com', linkUpPassword: 'Sekr1t-pw!', linkUpRegion: 'Mars' }, /^\[LLU001\] unknown LibreLink Up region "Mars"/],
      [{ source: 'dexcomshare', shareAccountName: 'me', sharePassword: 'Sekr1t-pw!', shareServer: 'not a host!' }, /^\[DEX001\]/],
      [{ source: 'libre', linkUpPassword: 'Sekr1t-pw!' }, /^\[CFG001\] unknown source "libre" — set CONNECT_SOURCE to one of/],
      [{ source: 'nightscout', sourceEndpoint: 'ns.example.com/?token=Sekr1t-pw!' }, /^\[CFG002\]/],
    ];
    for (const [connect, expected] of cases) {
      const ctx = createFakeNightscoutCtx();
      expect(plugin(siteEnv(connect), ctx)).toBeUndefined();
      expect(ctx.bootErrors.length, JSON.stringify(connect)).toBeGreaterThan(0);
      expect(ctx.bootErrors[0]).toEqual({ desc: 'gluco-hub (CONNECT_* settings)', err: expect.stringMatching(expected) });
      expect(JSON.stringify(ctx.bootErrors)).not.toContain('Sekr1t');
      expect(ctx.bus.listenerCount('data-processed')).toBe(0);
    }
  });

  it('several missing settings are one boot error each', () => {
    const ctx = createFakeNightscoutCtx();
    plugin(siteEnv({ source: 'dexcomshare' }), ctx);
    expect(ctx.bootErrors.map((e) => e.err)).toEqual([
      expect.stringMatching(/^\[CFG003\] missing source\.accountName: set CONNECT_SHARE_ACCOUNT_NAME/),
      expect.stringMatching(/^\[CFG003\] missing source\.password: set CONNECT_SHARE_PASSWORD/),
    ]);
  });

  it("reads the old share2nightscout-bridge names when the site's CONNECT_* leave them out", async () => {
    const ctx = createFakeNightscoutCtx();
    const env = siteEnv({ source: 'dexcomshare' });
    vi.stubEnv('BRIDGE_USER_NAME', 'me@example.com');
    vi.stubEnv('BRIDGE_PASSWORD', 'Sekr1t-pw!');
    vi.stubEnv('BRIDGE_SERVER', 'http://127.0.0.1:9');
    const handle = start(env, ctx);
    expect(ctx.bootErrors).toEqual([]);
    await handle.stop();
  });
});

describe('LibreLink Up through the internal output', () => {
  it('waits for the first data load, then back-fills an empty site with the whole vendor window', async () => {
    const llu = await fakeLlu({});
    const ctx = createFakeNightscoutCtx();
    start(siteEnv(linkUp(llu)), ctx);
    await new Promise((resolve) => setImmediate(resolve));
    expect(llu.counters.logins).toBe(0);

    ctx.reload();
    const served = () => llu.servedDates(['graph', 'current', 'connections']);
    // Written in slices as the site's storage confirms them.
    await ctx.until(() => ctx.entries.calls.length > 0 && new Set(sgvTimes(ctx)).size >= served().size);
    expect(new Set(sgvTimes(ctx))).toEqual(served());
    expect(sgvTimes(ctx).length).toBeGreaterThan(100);
    expect(ctx.entries.docs[0]).toMatchObject({ type: 'sgv', device: expect.any(String), identifier: expect.any(String) });
  });

  it('on a site with history it writes only what is missing, and many data-processed events start nothing more', async () => {
    const llu = await fakeLlu({});
    const now = Date.now();
    const first = createFakeNightscoutCtx();
    start(siteEnv(linkUp(llu)), first);
    first.reload();
    await first.until(() => first.entries.calls.length > 0 && new Set(sgvTimes(first)).size >= llu.servedDates(['graph', 'current', 'connections']).size);

    // The same site, an hour and a half of readings short, under a new process whose state is gone.
    const cut = now - 90 * MIN;
    const history = first.entries.docs.filter((d) => (d.date as number) <= cut);
    const ctx = createFakeNightscoutCtx({ entries: history });
    start(siteEnv(linkUp(llu)), ctx);
    for (let i = 0; i < 30; i += 1) ctx.reload();
    await ctx.until(() => ctx.entries.calls.length > 0 && sgvTimes(ctx).length >= sgvTimes(first).length);
    for (let i = 0; i < 10; i += 1) {
      const seen = ctx.processed;
      ctx.tick();
      await ctx.until(() => ctx.processed > seen);
    }

    const written = writtenTimes(ctx);
    expect(written.length).toBeGreaterThan(0);
    expect(Math.min(...written)).toBeGreaterThan(cut);
    expect(new Set(written).size).toBe(written.length);
    expect(new Set(sgvTimes(ctx)).size).toBe(sgvTimes(ctx).length);
    expect(new Set(sgvTimes(ctx))).toEqual(new Set(sgvTimes(first)));
    // One login and one fetch per new process, however often the site reloads.
    expect(llu.counters.loginSuccesses).toBeLessThanOrEqual(2);
    expect(llu.counters.graph).toBe(2);
  });

  it('stops on teardown (what Nightscout emits) and on tearDown, removing its listeners', async () => {
    for (const event of ['teardown', 'tearDown']) {
      const llu = await fakeLlu({});
      const ctx = createFakeNightscoutCtx();
      const handle = start(siteEnv(linkUp(llu)), ctx);
      ctx.reload();
      await ctx.until(() => ctx.entries.calls.length > 0);
      ctx.bus.emit(event);
      await handle.stop();
      expect(ctx.bus.eventNames()).toEqual(['data-received']);
      const requests = llu.requests.length;
      ctx.reload();
      ctx.tick();
      await new Promise((resolve) => setImmediate(resolve));
      expect(llu.requests.length).toBe(requests);
    }
  });
});
