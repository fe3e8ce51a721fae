import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { call } from '../fakes/http-call.js';
import { freePort } from '../fakes/brokers.js';
import { cleanEnv, ROOT, runCli, startCli, tempDir } from './cli.js';
import { envOf, lastArgs, parseDockerfile } from './dockerfile.js';
import { unreadNames } from './known-settings.js';

/**
 * No Docker daemon or hadolint here (docs/service.md, "What was verified"), so the image's promises are
 * checked on the Dockerfile itself, and its entrypoint and health check are run as the image runs them.
 */
const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const final = stages.at(-1)!;
const env = envOf(final);
const execForm = (keyword: string): string[] => JSON.parse(lastArgs(final, keyword)!.replace(/^CMD\s+/, '').replace(/^--\S+\s+/g, '')) as string[];
const healthcheck = (): string[] => JSON.parse(/CMD\s+(\[.*\])$/.exec(lastArgs(final, 'HEALTHCHECK')!)![1]!) as string[];

describe('the Dockerfile', () => {
  it('builds on Node 20 slim in two stages, and runs with production dependencies only', () => {
    expect(stages.length).toBe(2);
    for (const s of stages) expect(s.from).toMatch(/^node:20-slim\b/);
    const runs = final.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    expect(runs.some((r) => /npm (?:ci|install)\b/.test(r) && !r.includes('--omit=dev'))).toBe(false);
    expect(final.instructions.some((i) => i.keyword === 'COPY' && /--from=build\s+\S*\/dist\s/.test(i.args))).toBe(true);
  });

  it('runs as a user that is not root', () => {
    const user = lastArgs(final, 'USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(?:root|0)(?::|$)/);
  });

  it('keeps the state and the data in volumes, and the state folder setting points at one', () => {
    const volumes = JSON.parse(lastArgs(final, 'VOLUME')!) as string[];
    expect(volumes).toContain(env.GLUCO_HUB__STATE_DIR);
    // The filesystem output's default folder lives under the working directory.
    expect(volumes).toContain(lastArgs(final, 'WORKDIR'));
  });

  it('listens beyond the container and bakes in no secret', () => {
    expect(env.GLUCO_HUB__HTTP__BIND).toBe('0.0.0.0:8080');
    const declared = final.instructions.concat(stages[0]!.instructions).filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG');
    expect(declared.filter((i) => /TOKEN|PASSWORD|SECRET|API_KEY/i.test(i.args))).toEqual([]);
    expect(unreadNames(Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('GLUCO_HUB__'))), tempDir())).toEqual([]);
  });

  it('checks health on /healthz with node (a slim image has no curl)', () => {
    const check = healthcheck();
    expect(check[0]).toBe('node');
    expect(check.join(' ')).toContain('/healthz');
    expect(check.join(' ')).not.toMatch(/\b(?:curl|wget)\b/);
  });
});

describe('the image entrypoint, run as the image runs it', () => {
  /** ENTRYPOINT with the image's /app as this checkout and `node` as the node running the tests. */
  const entrypoint = (): string[] => execForm('ENTRYPOINT').map((a) => a.replace(/^\/app\//, `${ROOT}/`));
  const command = (): string[] => [process.execPath, entrypoint()[1]!];
  /** The image's environment, with its folders and port moved somewhere this machine can use. */
  const imageEnv = (port: number, extra: Record<string, string> = {}): Record<string, string> => ({
    ...env,
    GLUCO_HUB__STATE_DIR: tempDir('gh-image-state-'),
    GLUCO_HUB__HTTP__BIND: `127.0.0.1:${port}`,
    GLUCO_HUB__HTTP__ENABLED: 'true',
    CONNECT_SIMULATOR_INTERVAL: '1',
    ...extra,
  });

  it('is the built guard, and CMD is forever', () => {
    const [node, script] = entrypoint();
    expect(node).toBe('node');
    expect(existsSync(script!)).toBe(true);
    expect(execForm('CMD')).toEqual(['forever']);
  });

  it('refuses to start forever without a bearer token: one coded line, exit 2', async () => {
    const port = await freePort();
    const run = await runCli(['forever'], { cwd: tempDir(), command: command(), env: imageEnv(port) });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(/^\[DOCKER001\] the container serves the HTTP API on 127\.0\.0\.1:\d+ and will not start without a bearer token — set GLUCO_HUB__HTTP__BEARER_TOKEN/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('with a token serves forever; the health check passes while it runs and fails once SIGTERM stopped it (exit 0)', async () => {
    const port = await freePort();
    const cli = startCli(['forever'], { cwd: tempDir(), command: command(), env: imageEnv(port, { GLUCO_HUB__HTTP__BEARER_TOKEN: 'image-test-token-0123456789' }) });
    const probe = (): number | null => {
      const [cmd, ...args] = healthcheck().map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${port}`));
      return spawnSync(cmd!, args, { env: cleanEnv(), timeout: 10_000 }).status;
    };
    try {
      await cli.until((o) => o.stderr.includes('"outcome":"success"'), 30_000);
      expect((await call(`http://127.0.0.1:${port}/glucose/latest`)).status).toBe(401);
      expect(probe()).toBe(0);
    } finally {
      cli.child.kill('SIGTERM');
    }
    expect(await cli.exit).toBe(0);
    expect(probe()).toBe(1);
  }, 40_000);
});
