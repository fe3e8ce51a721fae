import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import axios from 'axios';

/**
 * The real Nightscout server (cgm-remote-monitor 15.0.7, unmodified) from `../shared/real-nightscout/`,
 * started on loopback with its in-memory MongoDB-wire database. Suites that prove a Nightscout
 * behaviour run against it when `GLUCO_HUB_REAL_NIGHTSCOUT` names that folder (`.ci/run` always
 * sets it up); without it they are skipped with one line saying how to run them.
 */

const run = promisify(execFile);

/** The folder with `setup.sh`, `start.sh`, `stop.sh`, `mktoken.sh`; undefined when not configured. */
export const REAL_NIGHTSCOUT = process.env.GLUCO_HUB_REAL_NIGHTSCOUT ? resolve(process.env.GLUCO_HUB_REAL_NIGHTSCOUT) : undefined;

export const HOW_TO_RUN_REAL =
  'run ../shared/real-nightscout/setup.sh once, then GLUCO_HUB_REAL_NIGHTSCOUT=../shared/real-nightscout npm test (.ci/run does both)';

/** `.ci/run` sets GLUCO_HUB_CI=1: there a missing real Nightscout fails the suite instead of skipping it. */
export function realNightscoutOrSkip(what: string): boolean {
  if (REAL_NIGHTSCOUT && existsSync(join(REAL_NIGHTSCOUT, 'start.sh'))) return true;
  const message = `${what} skipped (needs the real Nightscout): ${HOW_TO_RUN_REAL}`;
  if (process.env.GLUCO_HUB_CI === '1') throw new Error(`GLUCO_HUB_CI=1 but ${message}`);
  console.warn(message);
  return false;
}

export interface RealNightscoutOptions {
  /** `K=V` settings passed to Nightscout verbatim (`REAL_NS_EXTRA_ENV`), e.g. `ENABLE=connect`. */
  extraEnv?: Record<string, string>;
  /** Another install tree (`REAL_NS_HOME`), e.g. one whose `nightscout-connect` is gluco-hub. */
  home?: string;
  /** The database is loaded from and saved to this file, so a restart keeps it. */
  mongoData?: string;
  /** Nightscout's `ENABLE` (`REAL_NS_ENABLE`; default `careportal api`). */
  enable?: string;
}

export interface RealNightscout {
  url: string;
  apiSecret: string;
  apiSecretSha1: string;
  logDir: string;
  /** Nightscout's own process (`lib/server/server.js`), e.g. for its RSS. */
  pid: number;
  /** A new API v2 subject with `role` (default `admin`); its access token. */
  token(name: string, role?: string): Promise<string>;
  /** GET with the hashed API secret; the parsed JSON. */
  get<T = unknown>(path: string): Promise<T>;
  /** POST with the hashed API secret; the status. */
  post(path: string, body: unknown): Promise<number>;
  /** Every entry the site holds (v1, newest first), `limit` at most. */
  entries(limit?: number): Promise<Record<string, unknown>[]>;
  /** Nightscout's own log so far. */
  log(): string;
  /** Stops both processes (Nightscout gets SIGTERM); what stop.sh said (it says so when SIGKILL was needed). Safe to call twice. */
  close(): Promise<string>;
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').slice(1)) {
    const at = line.indexOf('=');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

export async function startRealNightscout(options: RealNightscoutOptions = {}): Promise<RealNightscout> {
  if (!REAL_NIGHTSCOUT) throw new Error(`no real Nightscout: ${HOW_TO_RUN_REAL}`);
  const dir = mkdtempSync(join(tmpdir(), 'gh-real-ns-'));
  const envFile = join(dir, 'ns.env');
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.extraEnv) env.REAL_NS_EXTRA_ENV = Object.entries(options.extraEnv).map(([k, v]) => `${k}=${v}`).join(' ');
  if (options.home) env.REAL_NS_HOME = options.home;
  if (options.mongoData) env.REAL_NS_MONGO_DATA = options.mongoData;
  if (options.enable) env.REAL_NS_ENABLE = options.enable;
  await run(join(REAL_NIGHTSCOUT, 'start.sh'), [envFile], { env, timeout: 150_000 });
  const vars = parseEnvFile(readFileSync(envFile, 'utf8'));
  const url = vars.NS_URL!;
  const headers = { 'api-secret': vars.API_SECRET_SHA1!, accept: 'application/json' };
  let closed = false;
  const ns: RealNightscout = {
    url,
    apiSecret: vars.API_SECRET!,
    apiSecretSha1: vars.API_SECRET_SHA1!,
    logDir: vars.LOG_DIR!,
    pid: Number(vars.NS_PID),
    async token(name, role = 'admin') {
      const { stdout } = await run(join(REAL_NIGHTSCOUT, 'mktoken.sh'), [envFile, name, role]);
      return stdout.trim();
    },
    async get<T>(path: string): Promise<T> {
      const response = await axios.get<T>(`${url}${path}`, { headers, timeout: 30_000 });
      return response.data;
    },
    async post(path, body) {
      const response = await axios.post(`${url}${path}`, body, { headers, timeout: 30_000, validateStatus: () => true });
      return response.status;
    },
    entries(limit = 100_000) {
      return ns.get(`/api/v1/entries.json?count=${limit}&find[date][$gt]=0`);
    },
    log() {
      try {
        return readFileSync(join(vars.LOG_DIR!, 'ns.log'), 'utf8');
      } catch {
        return '';
      }
    },
    async close() {
      if (closed) return '';
      closed = true;
      const out = await run(join(REAL_NIGHTSCOUT, 'stop.sh'), [envFile], { env, timeout: 30_000 }).catch((error: unknown) => ({ stdout: String(error), stderr: '' }));
      return `${out.stdout}${out.stderr}`;
    },
  };
  return ns;
}

/** Where setup.sh put the real server's tree (`REAL_NS_HOME`, default `~/.cache/real-ns`). */
export function realNightscoutHome(): string {
  return process.env.REAL_NS_HOME ?? join(homedir(), '.cache', 'real-ns');
}

/**
 * A `REAL_NS_HOME` whose Nightscout loads `nightscout-connect` from `connectDir` (this package,
 * installed under that name as docs/plugin.md tells site owners) instead of 0.0.12, without touching
 * the shared install: `lib/` is copied (so `require` resolves from the new tree), every other
 * file and every other package is a symlink to the original.
 */
export function homeWithConnect(connectDir: string): string {
  const original = realNightscoutHome();
  const home = mkdtempSync(join(tmpdir(), 'gh-real-ns-home-'));
  const source = join(original, 'cgm-remote-monitor');
  const tree = join(home, 'cgm-remote-monitor');
  mkdirSync(join(tree, 'node_modules'), { recursive: true });
  symlinkSync(join(original, 'db'), join(home, 'db'));
  for (const name of readdirSync(source)) {
    if (name === 'node_modules') continue;
    if (name === 'lib') cpSync(join(source, name), join(tree, name), { recursive: true });
    else symlinkSync(join(source, name), join(tree, name));
  }
  for (const name of readdirSync(join(source, 'node_modules'))) {
    if (name === 'nightscout-connect') continue;
    symlinkSync(join(source, 'node_modules', name), join(tree, 'node_modules', name));
  }
  symlinkSync(connectDir, join(tree, 'node_modules', 'nightscout-connect'));
  return home;
}
