/** What `gluco-hub login` does, loaded only when it runs: the CareLink login code is a quarter second of start-up CPU. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { BridgeConfig, Config } from '../lib/config/schema.js';
import { driverContext } from '../app/driver-context.js';
import { commandState, type CommandState } from '../app/fleet/command-state.js';
import { GlucoHubError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { ensureWritableDir } from '../lib/state-store.js';
import { createCareLinkClient } from '../sources/carelink/client.js';
import { discover } from '../sources/carelink/discovery.js';
import { clError, ONE_LOGIN } from '../sources/carelink/errors.js';
import { placement } from '../sources/carelink/hosts.js';
import { createCareLinkDriver, STATE_KEYS, type CareLinkSettings } from '../sources/carelink/index.js';
import { exchangeCode, importLoginData } from '../sources/carelink/login.js';
import type { LoginRecord } from '../sources/carelink/persisted.js';
import { authorizeUrl, codeFromPaste, createPkce } from '../sources/carelink/pkce.js';
import { cliSettings, EXIT, load, loggerFor, reportFailure, say, type GlobalArgs } from './common.js';
import { openBrowser } from './open-browser.js';

export interface LoginArgs extends GlobalArgs {
  vendor: string;
  import?: string | undefined;
  code?: string | undefined;
  bridge?: string | undefined;
  browser?: boolean | undefined;
}


const ROUTES = { ble: 'display/message (BLE pump or sensor)', m2m: 'the M2M patient data (Guardian)', classic: 'connect/data (Guardian Connect)' } as const;

/** The environment or flags name no source: this command is about CareLink, so the bridge is one. */
function sourceOverride(args: LoginArgs): string | undefined {
  if (args.config !== undefined || args.source !== undefined) return args.source;
  return process.env.CONNECT_SOURCE || process.env.GLUCO_HUB__SOURCE__KIND ? undefined : 'minimedcarelink';
}

function careLinkBridge(config: Config, wanted: string | undefined): BridgeConfig & { source: CareLinkSettings } {
  const bridges = config.bridges.filter((b): b is BridgeConfig & { source: CareLinkSettings } => b.source.kind === 'minimedcarelink');
  const chosen = wanted === undefined ? bridges : bridges.filter((b) => b.id === wanted);
  if (chosen.length === 1) return chosen[0]!;
  if (bridges.length === 0) throw clError('CL023', { params: { reason: 'no CareLink bridge is configured (CONNECT_SOURCE is another source, or the config file has none)' } });
  if (wanted !== undefined) throw clError('CL023', { params: { reason: `no CareLink bridge "${wanted}"; configured: ${bridges.map((b) => b.id).join(', ')}` } });
  throw clError('CL023', { params: { reason: `several CareLink bridges are configured (${bridges.map((b) => b.id).join(', ')}): pass --bridge ID` } });
}

async function firstLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) if (line.trim() !== '') return line;
    return '';
  } finally {
    lines.close();
  }
}

async function interactiveLogin(settings: CareLinkSettings, args: LoginArgs, bridgeId: string): Promise<LoginRecord> {
  const where = placement(settings.server);
  const client = createCareLinkClient(where.via);
  const signal = new AbortController().signal;
  const endpoints = await discover(client, { region: settings.region ?? where.region, countryCode: settings.countryCode }, signal, Date.now);
  const pkce = createPkce();
  const url = where.via(authorizeUrl(endpoints, pkce, { loginHint: settings.username, language: settings.languageCode }));
  say(`CareLink login for bridge "${bridgeId}" (region ${endpoints.region.toUpperCase()}).`);
  say('');
  say(`1. Open this address in a browser and log in with the CareLink account gluco-hub should use. Note: ${ONE_LOGIN}.`);
  say('');
  say(`   ${url}`);
  say('');
  say('2. After the login, CareLink sends the browser to an address that starts with com.medtronic.carepartner:/sso?code=');
  say('   The browser cannot open it (an error or a blank page): copy that address from the address bar, or from');
  say('   the developer tools (Network tab, the last request\'s Location), and paste it here.');
  if (args.browser !== false && args.code === undefined && openBrowser(url)) say('   (Opened the address in your browser.)');
  say('');
  let pasted = args.code;
  if (pasted === undefined) {
    say('Paste the address (or just the code) and press Enter:');
    pasted = await firstLine();
  }
  const code = codeFromPaste(pasted, pkce.state);
  return exchangeCode(client, endpoints, code, pkce.verifier, signal, Date.now);
}

async function importedLogin(settings: CareLinkSettings, file: string): Promise<LoginRecord> {
  let text: string;
  try {
    text = await readFile(resolve(file), 'utf8');
  } catch (cause) {
    throw clError('CL011', { params: { file, reason: (cause as NodeJS.ErrnoException).code ?? 'cannot read it' }, cause });
  }
  return importLoginData(text, file, settings.region ?? placement(settings.server).region, Date.now());
}

/** Uses the saved login once, as the bridge will: proves it works and says who and what will be read. */
async function verify(config: Config, bridge: BridgeConfig & { source: CareLinkSettings }, log: Logger, state: CommandState): Promise<number> {
  const driver = createCareLinkDriver(bridge.source, driverContext(config, bridge, log, undefined, undefined, state.options));
  const signal = new AbortController().signal;
  try {
    const session = await driver.session.authorize(await driver.session.authenticate(signal), signal);
    const whom = session.carePartner ? `care partner ${session.username}, following ${session.patient}` : `patient ${session.username}`;
    say(`Logged in to CareLink as ${whom}; gluco-hub reads ${ROUTES[session.route]}.`);
    say('Start the bridge (`gluco-hub forever`) with the same configuration; it refreshes the login on its own from now on.');
    return EXIT.ok;
  } catch (error) {
    say('The login is saved, but using it failed:');
    if (!(error instanceof GlucoHubError)) throw error;
    return reportFailure(error);
  }
}

export async function runLogin(args: LoginArgs): Promise<void> {
  const config = load(cliSettings(args, { source: sourceOverride(args) }));
  const log = loggerFor(config);
  const bridge = careLinkBridge(config, args.bridge);
  // Validates the settings (a configured password is CL002) before anyone logs in.
  createCareLinkDriver(bridge.source, driverContext(config, bridge, log));
  ensureWritableDir(join(config.stateDir, bridge.id));
  const record = args.import === undefined ? await interactiveLogin(bridge.source, args, bridge.id) : await importedLogin(bridge.source, args.import);
  // Where `forever` will look for it: the state folder, or the fleet's Redis.
  const state = await commandState(config, bridge, log);
  try {
    await driverContext(config, bridge, log, undefined, undefined, state.options).state.write(STATE_KEYS.login, record);
    say(`Saved the CareLink login in ${state.where(STATE_KEYS.login)}${config.state.url === undefined ? ' (readable by you only)' : ''}.`);
    process.exitCode = await verify(config, bridge, log, state);
  } finally {
    await state.close();
  }
}
