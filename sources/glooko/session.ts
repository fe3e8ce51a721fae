import { CookieJar } from 'tough-cookie';
import { errorCode } from '../../lib/errors.js';
import { restoredOr, retryOnceFresh, savedSession, savedWithin } from '../../lib/saved-session.js';
import type { Secret } from '../../lib/secret.js';
import type { DriverContext, SessionFunctions } from '../../lib/contracts/source.js';
import type { Credentials, GlookoClient } from './client.js';
import { deviceIdentity, deviceInformation, type DeviceIdentity } from './device.js';
import { glkError } from './errors.js';
import { persistedSessionSchema, STATE_KEYS, type CredentialParts, type PersistedSession } from './persisted.js';
import type { Endpoint } from './regions.js';
import { authenticityToken, dataAnswer, signInAnswer, signInFormAnswer } from './responses.js';
import { resolveZone, type ZoneSettings } from './zone-choice.js';
import type { Zone } from './timezone.js';

/**
 * The Glooko sign-in: `authenticate` signs in (API, or the web form when the
 * API answers 422) and keeps the `_logbook-web_session` cookie in a jar; `authorize` finds the
 * patient code and the account's time zone. Both are persisted, so a restart reuses a young session.
 */

const HOUR_MS = 60 * 60_000;
/** Glooko's session lifetime is undocumented; clients assume 24 h. Renew an hour before. */
export const SESSION_RENEW_MS = 23 * HOUR_MS;
export const SESSION_COOKIE = '_logbook-web_session';

export type AuthMode = 'auto' | 'api' | 'web';

export interface GlookoAuth {
  jar: CookieJar;
  /** From the sign-in body, when it had one. */
  glookoCode: string | undefined;
  establishedMs: number;
  restored: PersistedSession | undefined;
}

export interface GlookoSession extends Endpoint {
  jar: CookieJar;
  glookoCode: string;
  zone: Zone;
  /** `mgdl` or `mmoll`: the unit of graph `y` values. */
  meterUnits: string | undefined;
  establishedMs: number;
}

export interface SessionOptions extends ZoneSettings {
  client: GlookoClient;
  ctx: DriverContext;
  endpoint: Endpoint;
  email: string;
  password: Secret;
  authMode: AuthMode;
  device: Partial<DeviceIdentity>;
}

export interface GlookoSessionHandle {
  session: SessionFunctions<GlookoAuth, GlookoSession>;
  /** Drops the persisted session if it is this one (after a 401). */
  forget: (session: Pick<GlookoSession, 'establishedMs'>) => Promise<void>;
}

function codeIn(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as Record<string, unknown>).glookoCode;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

interface AccountProfile {
  glookoCode: string | undefined;
  timezone: string | undefined;
  meterUnits: string | undefined;
}

function profileOf(body: Record<string, unknown>): AccountProfile {
  const user = body.currentUser as Record<string, unknown> | undefined;
  const patient = body.currentPatient as Record<string, unknown> | undefined;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  return {
    glookoCode: codeIn(patient) ?? codeIn(user),
    timezone: text(patient?.timezone) ?? text(user?.timezone),
    meterUnits: text(user?.meterUnits) ?? text(patient?.meterUnits),
  };
}

export function createGlookoSession(options: SessionOptions): GlookoSessionHandle {
  const { ctx, client, endpoint } = options;
  const credentials = (): Credentials => ({ email: options.email, password: options.password.reveal() });
  const parts = (): CredentialParts => ({ username: options.email, password: options.password.reveal(), baseUrl: endpoint.baseUrl });
  const saved = savedSession({
    ctx,
    vendor: 'Glooko',
    keys: STATE_KEYS,
    schema: persistedSessionSchema,
    credentials: parts,
    error: glkError,
    codes: { waiting: 'GLK005', refusedBefore: 'GLK003', refused: ['GLK002', 'GLK004'] },
    refusalDropsSession: true,
  });
  let identity: DeviceIdentity | undefined;

  async function apiSignIn(jar: CookieJar, signal: AbortSignal): Promise<string | undefined> {
    identity ??= await deviceIdentity(ctx, options.device);
    const response = await client.signIn(endpoint, jar, credentials(), deviceInformation(identity), signal);
    const body = signInAnswer(response, ctx.now());
    return codeIn(body.userLogin) ?? codeIn(body.user) ?? codeIn(body);
  }

  async function webSignIn(jar: CookieJar, signal: AbortSignal): Promise<undefined> {
    const token = authenticityToken(await client.signInPage(endpoint, jar, signal), ctx.now());
    signInFormAnswer(await client.signInForm(endpoint, jar, credentials(), token, signal), ctx.now());
    return undefined;
  }

  async function signIn(signal: AbortSignal): Promise<GlookoAuth> {
    await saved.check();
    const jar = new CookieJar();
    const attempt = async (): Promise<string | undefined> => {
      if (options.authMode === 'web') return webSignIn(jar, signal);
      try {
        return await apiSignIn(jar, signal);
      } catch (error) {
        // 422 is the CSRF check of the API sign-in; the web form carries its own token (nightscout-connect `auto`).
        if (options.authMode !== 'auto' || errorCode(error) !== 'GLK011') throw error;
        ctx.log.info('Glooko refused the API sign-in with 422; trying the web sign-in form');
        return webSignIn(jar, signal);
      }
    };
    const glookoCode = await attempt().catch(saved.failed);
    const cookies = await jar.getCookies(endpoint.baseUrl);
    if (!cookies.some((c) => c.key === SESSION_COOKIE)) {
      throw glkError('GLK009', { params: { what: 'the sign-in', reason: `no ${SESSION_COOKIE} cookie` } });
    }
    return { jar, glookoCode, establishedMs: ctx.now(), restored: undefined };
  }

  async function restore(): Promise<GlookoAuth | undefined> {
    const fits = (record: PersistedSession): boolean =>
      record.email === options.email && record.baseUrl === endpoint.baseUrl && savedWithin(record.savedAt, ctx.now(), SESSION_RENEW_MS);
    const record = await saved.restore(fits);
    if (!record) return undefined;
    try {
      const jar = await CookieJar.deserialize(record.cookies);
      return { jar, glookoCode: record.glookoCode, establishedMs: record.savedAt, restored: record };
    } catch {
      return undefined;
    }
  }

  async function remember(auth: GlookoAuth, profile: AccountProfile & { glookoCode: string }): Promise<void> {
    const record: PersistedSession = {
      cookies: await auth.jar.serialize(),
      glookoCode: profile.glookoCode,
      ...(profile.timezone === undefined ? {} : { accountZone: profile.timezone }),
      ...(profile.meterUnits === undefined ? {} : { meterUnits: profile.meterUnits }),
      email: options.email,
      baseUrl: endpoint.baseUrl,
      savedAt: auth.establishedMs,
    };
    await saved.remember(record);
  }

  async function accountProfile(auth: GlookoAuth, signal: AbortSignal): Promise<AccountProfile & { glookoCode: string }> {
    if (auth.restored) return { glookoCode: auth.restored.glookoCode, timezone: auth.restored.accountZone, meterUnits: auth.restored.meterUnits };
    const response = await client.sessionUsers(endpoint, auth.jar, signal);
    const body = dataAnswer(response, ctx.now());
    const profile = body ? profileOf(body) : { glookoCode: undefined, timezone: undefined, meterUnits: undefined };
    // The sign-in body's code is the account's own; session/users may name a followed patient first.
    const glookoCode = auth.glookoCode ?? profile.glookoCode;
    if (glookoCode === undefined) throw glkError('GLK012', { params: { what: response.what } });
    return { ...profile, glookoCode };
  }

  async function establish(auth: GlookoAuth, signal: AbortSignal): Promise<GlookoSession> {
    const profile = await accountProfile(auth, signal);
    const zone = resolveZone(options, profile.timezone, ctx.log);
    if (!auth.restored) {
      await remember(auth, profile);
      ctx.log.info({ baseUrl: endpoint.baseUrl, zone: zone.kind === 'iana' ? zone.name : `${zone.minutes} min` }, 'signed in to Glooko');
    }
    return { ...endpoint, jar: auth.jar, glookoCode: profile.glookoCode, zone, meterUnits: profile.meterUnits, establishedMs: auth.establishedMs };
  }

  const forget = (session: Pick<GlookoSession, 'establishedMs'>): Promise<void> => saved.forget((record) => record.savedAt === session.establishedMs);

  const session: SessionFunctions<GlookoAuth, GlookoSession> = {
    authenticate: (signal) => restoredOr(signal, restore, signIn),
    authorize: retryOnceFresh<GlookoAuth, GlookoSession>({ establish, forget, login: signIn }),
    expireAfterMs: SESSION_RENEW_MS,
  };
  return { session, forget };
}
