import type { DriverContext, SessionFunctions } from '../../lib/contracts/source.js';
import type { AuthorizedCall } from './calls.js';
import type { CareLinkClient } from './client.js';
import { discover, type Endpoints } from './discovery.js';
import { clError, ONE_LOGIN } from './errors.js';
import type { Region } from './hosts.js';
import { patientLabel, selectPatient } from './patients.js';
import { chooseRoute, isBleFamily, type Route } from './routing.js';
import type { Tokens } from './tokens.js';
import { linkedPatientsSchema, monitorSchema, recentUploadsSchema, settingValueSchema, userSchema } from './wire.js';

/**
 * The CareLink session: `authenticate` reads the saved login and discovers the region's hosts;
 * `authorize` finds out who the account is (patient or care partner), which patient to read and
 * which endpoint serves that patient's device. Token refresh happens below, per call (tokens.ts).
 */

export interface CareLinkAuth {
  endpoints: Endpoints;
}

export interface CareLinkSession extends CareLinkAuth {
  /** `users/me` username: what `display/message` wants (it may differ from the login e-mail). */
  username: string;
  carePartner: boolean;
  /** The patient whose data is read: the account itself, or the selected linked patient. */
  patient: string;
  route: Route;
  family: string | undefined;
}

export interface SessionOptions {
  client: CareLinkClient;
  call: AuthorizedCall;
  tokens: Tokens;
  ctx: DriverContext;
  /** The region the configuration names (region, a Medtronic server host), if any. */
  region: Region | undefined;
  patientUsername: string | undefined;
}

/** Rediscover and re-check the route twice a day: a new pump or a new link shows up without a restart. */
export const SESSION_RENEW_MS = 12 * 60 * 60_000;

/**
 * Which endpoint serves the account's data (routing.ts). `monitor/data` names no patient: for a care
 * partner it describes the account, so every patient it follows is read over the one route.
 */
export async function detectRoute(call: AuthorizedCall, endpoints: Endpoints, carePartner: boolean, signal: AbortSignal): Promise<{ route: Route; family: string | undefined }> {
  const monitor = await call({ what: 'the device family (monitor/data)', url: `${endpoints.carelinkBase}/monitor/data` }, monitorSchema, signal);
  const family = monitor.medicalDeviceFamily ?? monitor.deviceFamily ?? undefined;
  if (isBleFamily(family)) return { route: 'ble', family };
  let uploads: string[] = [];
  let m2m = false;
  if (carePartner) {
    const setting = await call({ what: 'the multi-follow setting', url: `${endpoints.carelinkBase}/configuration/system/personal.cp.m2m.enabled` }, settingValueSchema, signal);
    m2m = setting.value === true || setting.value === 'true';
  } else {
    const recent = await call({ what: 'the recent uploads', url: `${endpoints.carelinkBase}/dataUpload/recentUploads?numUploads=30` }, recentUploadsSchema, signal);
    uploads = recent.recentUploads.flatMap((u) => (u.device ? [u.device] : []));
  }
  return { route: chooseRoute({ family, uploads, carePartner, m2m }), family };
}

export function createCareLinkSession(options: SessionOptions): SessionFunctions<CareLinkAuth, CareLinkSession> {
  const { ctx, call } = options;
  const now = (): number => ctx.now();

  const route = (endpoints: Endpoints, carePartner: boolean, signal: AbortSignal): Promise<{ route: Route; family: string | undefined }> =>
    detectRoute(call, endpoints, carePartner, signal);

  return {
    async authenticate(signal) {
      if (signal.aborted) throw signal.reason;
      const record = await options.tokens.load();
      if (options.region !== undefined && options.region !== record.region) {
        throw clError('CL007', { params: { saved: record.region, configured: options.region } });
      }
      return { endpoints: await discover(options.client, { region: record.region }, signal, now) };
    },
    async authorize(auth, signal) {
      const { endpoints } = auth;
      const me = await call({ what: 'the account (users/me)', url: `${endpoints.carelinkBase}/users/me` }, userSchema, signal);
      const carePartner = /CARE_?PARTNER/i.test(me.role);
      let patient = me.username;
      if (carePartner) {
        const links = await call({ what: 'the linked patients', url: `${endpoints.carelinkBase}/m2m/links/patients` }, linkedPatientsSchema, signal);
        const chosen = selectPatient(links, options.patientUsername, new Error(`m2m/links/patients listed ${links.length} patient(s)`));
        patient = chosen.username;
        ctx.log.info({ patient: patientLabel(chosen) }, 'following this CareLink patient');
      } else {
        ctx.log.warn(`the CareLink account is a patient account (${me.role}): ${ONE_LOGIN}`);
      }
      const routed = await route(endpoints, carePartner, signal);
      ctx.log.info({ route: routed.route, family: routed.family, region: endpoints.region }, 'reading CareLink');
      return { ...auth, username: me.username, carePartner, patient, ...routed };
    },
    expireAfterMs: SESSION_RENEW_MS,
  };
}
