import { isIP } from 'node:net';
import { parseFileMode } from '../file-mode.js';
import { DEFAULT_BUDGET } from '../request-budget.js';
import { z } from 'zod';
import { Secret } from '../secret.js';
import { APP_NAME } from '../version.js';
import { MAX_SHARDS, parseShard } from '../fleet/shards.js';

/**
 * The one configuration schema. Every front end (environment, config file, CLI flags, plugin)
 * produces a raw object of this shape; the types below are inferred from it.
 */

/** Secrets arrive as strings (or numbers from YAML / Nightscout's env parser) and become masked values. */
const secret = z
  .preprocess((v) => (v instanceof Secret ? v.reveal() : typeof v === 'number' ? String(v) : v), z.string().min(1, 'must not be empty'))
  .transform((v) => new Secret(v));

const text = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().trim().min(1, 'must not be empty'));

const flag = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(s)) return true;
  if (['0', 'false', 'off', 'no', ''].includes(s)) return false;
  return v;
}, z.boolean());

/** `mgdl` or `mmol`, as users write it (`MMOL`, ` mgdl `). */
const glucoseUnit = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['mgdl', 'mmol'])).default('mgdl');

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Marks the issue of a URL with a user name or password in it; load.ts turns it into CFG008. */
export const CREDENTIALS_IN_URL = 'credentialsInUrl';

/**
 * An http(s) URL; `?token=` is allowed (Nightscout access tokens travel that way, and the loader
 * moves them into the token setting). Credentials before the host (`https://user:pw@site`, or
 * xDrip's `https://SECRET@site`) are refused: the URL is not a secret setting (it is logged and
 * printed by check-config), and the token and API secret have their own, masked ones.
 */
export const httpUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const url = parseUrl(v);
    if (url && (url.username !== '' || url.password !== '')) {
      ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password', params: { [CREDENTIALS_IN_URL]: true } });
      return;
    }
    if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0) return;
    // `my.site.example` parses as nothing and `localhost:1337` as the scheme "localhost:": both lack one.
    const bare = /^[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?(?:\/\S*)?$/i.test(v) || /^localhost(?::\d+)?(?:\/\S*)?$/i.test(v);
    const shown = v.replace(/([?&]token=)[^&#]*/gi, '$1***');
    ctx.addIssue({
      code: 'custom',
      message: bare ? `"${shown}" has no scheme: the URL must start with https:// (https://${shown})` : 'must be an http:// or https:// URL',
    });
  });

export const simulatorSourceSchema = z.object({
  kind: z.literal('simulator'),
  /** Seconds between simulated readings: 300 like a real CGM, down to 1 for demos and tests. */
  intervalSeconds: z.coerce.number().int().min(1).max(3600).default(300),
  /** Same seed, same trace. */
  seed: z.coerce.number().int().default(1),
  /** Makes the fake login fail, to watch the auth-failure path without a vendor. */
  failAuth: flag.default(false),
});

/**
 * Source settings that exist to exercise failure paths in tests, not to configure a bridge:
 * `check-config` leaves them out of what it prints (lib/config/printable.ts).
 */
export const INTERNAL_SOURCE_SETTINGS: Readonly<Record<string, readonly string[]>> = { simulator: ['failAuth'] };

/** `all`, a list, or a comma-separated string of ids (`all` in any case). */
const followedPatientsSchema = z
  .preprocess(
    (v) => (typeof v === 'string' && v.trim().toLowerCase() !== 'all' ? v.split(',').map((id) => id.trim()).filter((id) => id !== '') : typeof v === 'string' ? 'all' : v),
    z.union([z.literal('all'), z.array(text).min(1)]),
  )
  .optional();

export const linkupSourceSchema = z.object({
  kind: z.literal('linkup'),
  /** The LibreLinkUp *follower* account's e-mail (not LibreView's). */
  username: text,
  password: secret,
  /** Region key (US, EU, EU2, DE, FR, CA, AU, AP, AE, JP, LA, RU, CN; UK/GB = EU2), case-insensitive. */
  region: text.default('EU'),
  /** `host[:port]` (https) or a full URL; overrides the region's host. */
  server: text.optional(),
  /** Pin one followed patient by id… */
  patientId: text.optional(),
  /** …or by name ("First Last", case-insensitive). */
  patientName: text.optional(),
  /**
   * Follow several people with one login: `all` (everyone the account follows, as they come and go)
   * or a list of patient ids. Each gets a bridge `<id>-<slug>` (app/followed-people.ts).
   * `CONNECT_LINK_UP_PATIENT_ID=all` sets `all`.
   */
  patients: followedPatientsSchema,
  /** App version header; the server refuses old ones (403). */
  version: text.default('4.16.0'),
  product: text.default('llu.ios'),
  /** Accept new terms of use / privacy policy on the user's behalf. Off: stop and ask the user. */
  acceptTerms: flag.default(false),
  /** How often the current reading moves; polls align to it. */
  intervalSeconds: z.coerce.number().int().min(10).max(3600).default(60),
  /** Never poll faster than this, whatever the alignment says. */
  minIntervalSeconds: z.coerce.number().int().min(10).max(3600).default(30),
});

/** `eu` is what share2nightscout-bridge users call OUS. */
const SHARE_REGION_ALIASES: Record<string, string> = { eu: 'ous' };

export const dexcomShareSourceSchema = z.object({
  kind: z.literal('dexcomshare'),
  /** The Dexcom account that *shares* (the sensor wearer's: username, e-mail or +phone), not a follower's. */
  accountName: text,
  password: secret,
  /** `us`, `ous` (outside the US) or `jp`; picks the server and the application id. */
  region: z
    .preprocess((v) => (typeof v === 'string' ? (SHARE_REGION_ALIASES[v.trim().toLowerCase()] ?? v.trim().toLowerCase()) : v), z.enum(['us', 'ous', 'jp']))
    .default('us'),
  /** `host[:port]` (https) or a full URL; overrides the region's host (not its application id). */
  server: text.optional(),
  /** The longest wait between polls; polls align to readings (newest + 5 min + 20 s) within it. */
  intervalSeconds: z.coerce.number().int().min(10).max(3600).default(300),
  /** Never poll faster than this after a successful poll, whatever the alignment says. */
  minIntervalSeconds: z.coerce.number().int().min(10).max(3600).default(60),
});

export const nightscoutSourceSchema = z.object({
  kind: z.literal('nightscout'),
  /** Base URL of the site to read; an access token in `?token=` moves into `token`. */
  endpoint: httpUrl,
  apiSecret: secret.optional(),
  token: secret.optional(),
});

/** `default` (nightscout-connect's name) is US; `de`/`fr` are the ex-diasend DE/FR host. */
const GLOOKO_REGION_ALIASES: Record<string, string> = { default: 'us', de: 'de-fr', fr: 'de-fr', defr: 'de-fr', de_fr: 'de-fr' };

/** An IANA zone name this Node knows, e.g. `Europe/Berlin`. */
const ianaZone = text.refine((v) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: v });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as Europe/Berlin or America/New_York');

export const glookoSourceSchema = z.object({
  kind: z.literal('glooko'),
  /** The e-mail the Glooko account signs in with (an account without two-step verification). */
  email: text,
  password: secret,
  /** `us`, `eu`, `ca` or `de-fr`: the site you sign in at on the web (my.glooko.com, eu.my.glooko.com, …). */
  region: z
    .preprocess(
      (v) => (typeof v === 'string' ? (GLOOKO_REGION_ALIASES[v.trim().toLowerCase()] ?? v.trim().toLowerCase()) : v),
      z.enum(['us', 'eu', 'ca', 'de-fr', 'development', 'production']),
    )
    .default('us'),
  /** `host[:port]` (https) or a full URL; overrides the region's API host. */
  server: text.optional(),
  /** The zone Glooko's local times are read in; default: the account's own zone. DST-correct. */
  timezone: ianaZone.optional(),
  /** nightscout-connect's fixed offset in hours (no daylight saving); `timezone` wins when both are set. */
  timezoneOffset: z.coerce.number().min(-12).max(14).optional(),
  /** `auto`: the API sign-in, and the web form when the API answers 422; `api` or `web` only. */
  authMode: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['auto', 'api', 'web'])).default('auto'),
  /** How far back a first run reads glucose and treatments (days). */
  lookbackDays: z.coerce.number().int().min(1).max(90).default(14),
  /** Read treatments only (another source already supplies the glucose). */
  skipEntries: flag.default(false),
  /** Read CGM from the web app's graph when the egvs feed has never had a reading. */
  useV3Graph: flag.default(true),
  /** How often to ask Glooko for new data; it only has what the phone or pump uploaded. */
  intervalSeconds: z.coerce.number().int().min(60).max(3600).default(300),
  /** The sign-in's device id and serial number; default: made once per install and kept. */
  deviceId: text.optional(),
  serialNumber: text.optional(),
});

export const carelinkSourceSchema = z.object({
  kind: z.literal('minimedcarelink'),
  /** The CareLink username; pre-fills the login page of `gluco-hub login carelink`. */
  username: text.optional(),
  /** nightscout-connect's password: refused (CL002), CareLink logs in through its web page only. */
  password: secret.optional(),
  /** The account's country (ISO, e.g. `gb`): picks the region from CareLink's country list. */
  countryCode: text.optional(),
  /** `us` or `eu`; wins over `countryCode`. */
  region: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.enum(['us', 'eu'])).optional(),
  /** A proxy or test server that gets every request (`host[:port]` or a URL); a Medtronic host only names the region. */
  server: text.optional(),
  /** Care-partner accounts: the patient to read (CareLink username) when several are linked. */
  patientUsername: text.optional(),
  /**
   * Care-partner accounts: read several linked patients with the one login, `all` or a list of
   * CareLink usernames (`CONNECT_CARELINK_PATIENT_USERNAME=all` sets `all`); a bridge each.
   */
  patients: followedPatientsSchema,
  /** The language CareLink's login page is shown in. */
  languageCode: text.default('en'),
  /** The longest wait between polls; polls align to readings (newest + 5 min + 1 min) within it. */
  intervalSeconds: z.coerce.number().int().min(10).max(3600).default(300),
  /** Never poll faster than this after a successful poll. */
  minIntervalSeconds: z.coerce.number().int().min(10).max(3600).default(60),
});

export const sourceSchema = z.discriminatedUnion('kind', [
  simulatorSourceSchema,
  linkupSourceSchema,
  dexcomShareSourceSchema,
  nightscoutSourceSchema,
  glookoSourceSchema,
  carelinkSourceSchema,
]);
export type SourceSettings = z.infer<typeof sourceSchema>;
export type SourceKind = SourceSettings['kind'];
export type SimulatorSettingsConfig = z.infer<typeof simulatorSourceSchema>;

/** The target Nightscout site (`endpoint`, `token`, `apiSecret`). */
export const nightscoutOutputSchema = z.object({
  /** Base URL of the Nightscout site; an access token in `?token=` moves into `token`. */
  endpoint: httpUrl,
  apiSecret: secret.optional(),
  token: secret.optional(),
  /** `auto`: v3 when a token is given and the server has v3, else v1. */
  api: z.enum(['auto', 'v3', 'v1']).default('auto'),
});

export const filesystemOutputSchema = z.object({
  /** Directory for `<collection>/<YYYY-MM-DD>.jsonl`. */
  dir: text,
  /** New files' permissions, octal (`600` default: the owner's alone); directories get the matching search bits. */
  mode: z
    .union([z.string(), z.number()])
    .default('600')
    .transform((v, ctx) => {
      const mode = parseFileMode(String(v));
      if (mode === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be an octal file mode such as 600 or 640, got "${String(v)}"` });
        return z.NEVER;
      }
      return mode;
    }),
  /**
   * Day files older than this many days are deleted (at start and daily); unset keeps everything.
   * Today's file and the `keepDays` UTC days before it always stay.
   */
  keepDays: z.preprocess(
    (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ error: 'must be a whole number of days, 1 or more (leave it unset to keep everything)' })
      .int('must be a whole number of days, 1 or more (leave it unset to keep everything)')
      .min(1, 'must be a whole number of days, 1 or more (leave it unset to keep everything)'),
  ).optional(),
});

/** `mqtt://`, `mqtts://`, `ws://` or `wss://` with a host. */
export const mqttUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const url = parseUrl(v);
    if (!url || !['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(url.protocol) || url.hostname.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must be an mqtt://, mqtts://, ws:// or wss:// URL with a host, e.g. mqtt://broker.lan:1883' });
    } else if (url.username !== '' || url.password !== '') {
      // The URL is not a secret setting (it is logged and shown): credentials have their own, masked ones.
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials: set the MQTT username and password settings instead' });
    }
  });

/** TLS for the broker connection; the files are read once at start (MQTT002 if one cannot be read). */
export const mqttTlsSchema = z.object({
  /** On for `mqtts://`, `wss://` and port 8883; set to force it on or off. */
  enabled: flag.optional(),
  /** PEM file of the CA that signed the broker's certificate (default: the system's CAs). */
  ca: text.optional(),
  /** PEM client certificate for mutual TLS (with `key`). */
  cert: text.optional(),
  /** PEM private key of the client certificate. */
  key: text.optional(),
  /** Refuse a broker whose certificate does not verify. Turn off only for a test broker. */
  rejectUnauthorized: flag.default(true),
});

/** The issue's name `GLUCO_HUB__MQTT__STALE_AFTER` (seconds) and the explicit `…_STALE_AFTER_SECONDS` both set `staleAfterSeconds`. */
function staleAfterAlias(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || !('staleAfter' in raw)) return raw;
  const { staleAfter, ...rest } = raw as Record<string, unknown>;
  return 'staleAfterSeconds' in rest ? rest : { ...rest, staleAfterSeconds: staleAfter };
}

export const mqttOutputSchema = z.preprocess(staleAfterAlias, z.object({
  /** The broker: `mqtt://host:1883`, `mqtts://host:8883`, `ws://host:9001/mqtt`. */
  url: mqttUrl,
  /** Every topic lives under this (no `+`, `#`, leading `$` or empty levels; MQTT001). */
  topicPrefix: text.default(APP_NAME),
  username: text.optional(),
  password: secret.optional(),
  /** 5 (MQTT v5, the default) or 4 (MQTT 3.1.1). */
  protocolVersion: z.coerce.number().pipe(z.union([z.literal(5), z.literal(4)])).default(5),
  /** 1: a store succeeds only after the broker acknowledged it (0 can lose readings unnoticed). */
  qos: z.coerce.number().pipe(z.union([z.literal(0), z.literal(1), z.literal(2)])).default(1),
  /** Unique per running instance; default `gluco-hub-<bridge id>`. */
  clientId: text.optional(),
  keepaliveSeconds: z.coerce.number().int().min(5).max(65_535).default(60),
  /** MQTT v5: how long the broker keeps the session (and delays the last will) after a drop. */
  sessionExpirySeconds: z.coerce.number().int().min(0).max(4_294_967_295).default(300),
  tls: mqttTlsSchema.optional(),
  /** Publish Home Assistant discovery configs. */
  discovery: flag.default(false),
  discoveryPrefix: text.default('homeassistant'),
  /** The display unit offered to consumers (default the global `unit`); mg/dL and mmol/L are both in every reading. */
  unit: glucoseUnit,
  /** A reading older than this marks the data stale on `<prefix>/status` (900 s = Nightscout's warning). */
  staleAfterSeconds: z.coerce.number().int().min(60).max(86_400).default(900),
  /** Put the followed patient's pinned name or id (when configured) into each reading. */
  includePatient: flag.default(true),
}));
export type MqttSettings = z.infer<typeof mqttOutputSchema>;

/** About 70 days of 5-minute readings, or two weeks of LibreLink Up's 1-minute ones. */
export const DLQ_MAX_ENTRIES = 20_000;

export const BRIDGE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * A pin of `all` (what `CONNECT_LINK_UP_PATIENT_ID=all` or `CONNECT_CARELINK_PATIENT_USERNAME=all`
 * sets) means following everyone: `patients: all`.
 */
function followAllAlias(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  for (const pin of ['patientId', 'patientUsername']) {
    const { [pin]: value, ...rest } = raw as Record<string, unknown>;
    if (typeof value !== 'string' || value.trim().toLowerCase() !== 'all') continue;
    return rest.patients !== undefined ? rest : { ...rest, patients: 'all' };
  }
  return raw;
}

/** Who a bridge follows when it follows several people (LibreLink Up, CareLink care partners); undefined for one. */
export function followedPatients(source: SourceSettings): 'all' | string[] | undefined {
  return source.kind === 'linkup' || source.kind === 'minimedcarelink' ? source.patients : undefined;
}

/** Marks a custom issue with its own config code (load.ts puts it in the message). */
export const CONFIG_CODE = 'configCode';

/**
 * An egress address: an IP literal this machine owns, given to the vendor HTTP client as
 * `localAddress`. A host name is refused: it would be resolved per request, and the budget key
 * (per vendor host × address) must name one address.
 */
export const localAddress = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    if (isIP(v) !== 0) return;
    ctx.addIssue({ code: 'custom', message: `"${v}" is not an IP address: give an IPv4 or IPv6 literal this machine owns, e.g. 192.0.2.10 or 2001:db8::10`, params: { [CONFIG_CODE]: 'CFG012' } });
  });

/** What one followed person gets besides the shared outputs (`people.<patient id, slug or name>`). */
export const personSchema = z.object({
  /** This person's own Nightscout site: a site holds one person's glucose. */
  nightscout: nightscoutOutputSchema.optional(),
});

export const bridgeSchema = z.object({
  /** Unique per process; names the bridge in logs, metrics and default paths. */
  id: z.string().regex(BRIDGE_ID, 'letters, digits, ".", "_" and "-" only, at most 64'),
  source: z.preprocess(followAllAlias, sourceSchema),
  /** This bridge's vendor requests leave from this address; default `fleet.localAddress`, else the system's choice. */
  localAddress: localAddress.optional(),
  /** With `source.patients`: per-person outputs, keyed by patient id, slug (`<id>-<slug>`'s last part) or "First Last". */
  people: z.record(z.string().trim().min(1), personSchema).optional(),
  nightscout: nightscoutOutputSchema.optional(),
  filesystem: filesystemOutputSchema.optional(),
  mqtt: mqttOutputSchema.optional(),
  /** Each output's dead-letter queue (`outputs/reliable/`). */
  dlq: z
    .object({
      /** At most this many documents wait per output; when full, the oldest are dropped (DLQ001). */
      maxEntries: z.coerce.number().int().min(100).default(DLQ_MAX_ENTRIES),
    })
    .default({ maxEntries: DLQ_MAX_ENTRIES }),
});
export type BridgeConfig = z.infer<typeof bridgeSchema>;

/** `host:port`: an IPv4 address or name, or a bracketed IPv6 address (`[::1]:8080`); port 0 picks a free one. */
export const BIND = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export const httpSchema = z.object({
  /** The HTTP API (status page, `/glucose*`, `/metrics`, health) runs in `forever` unless this is false. */
  enabled: flag.default(true),
  /** `host:port` to listen on; the default keeps it on this machine. */
  bind: text.default('127.0.0.1:8080').superRefine((v, ctx) => {
    const port = BIND.exec(v)?.[1];
    if (port === undefined) ctx.addIssue({ code: 'custom', message: 'must be host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080' });
    else if (Number(port) > 65_535) ctx.addIssue({ code: 'custom', message: `port ${Number(port)} is out of range: use 1–65535 (0 picks a free one)` });
  }),
  /** When set, `/` and `/glucose*` require `Authorization: Bearer <token>`, and `/readyz` shows details only with it. */
  bearerToken: secret.optional(),
  /** `/metrics` requires the bearer token too; off by default, since Prometheus scrapes without one unless told. */
  metricsAuth: flag.default(false),
  /** The status page's unit: `mgdl` or `mmol` (the JSON endpoints always carry both); default the global `unit`. */
  unit: glucoseUnit,
}).refine((http) => !http.metricsAuth || http.bearerToken !== undefined, {
  path: ['metricsAuth'],
  message: 'needs a bearer token to check: set GLUCO_HUB__HTTP__BEARER_TOKEN (or …_FILE) too',
});
export type HttpConfig = z.infer<typeof httpSchema>;

/** `requests` per `seconds`: a fixed window in Redis (rate-limiter-flexible), shared by the fleet. */
export const budgetWindowSchema = z.object({
  requests: z.coerce.number().int().min(1).max(100_000),
  seconds: z.coerce.number().int().min(1).max(86_400).default(60),
});
export type BudgetWindow = z.infer<typeof budgetWindowSchema>;

/** Per vendor host (× egress address), shared by every bridge of the process, or of the fleet with `state.url` (lib/request-budget.ts). */
export const vendorBudgetSchema = z.object({
  /** Requests that may start per second on one vendor host, all bridges together. */
  requestsPerSecond: z.coerce.number().min(0.1).max(1000).default(DEFAULT_BUDGET.requestsPerSecond),
  /** Requests that may be in flight at once on one vendor host (each bridge holds at most one). */
  concurrency: z.coerce.number().int().min(1).max(1000).default(DEFAULT_BUDGET.concurrency),
  /** In a fleet (`state.url`): at most this many vendor requests per bridge (one account) per window, all processes together. */
  perBridge: budgetWindowSchema.optional(),
  /** In a fleet: at most this many vendor requests per login (bridges sharing a vendor username) per window. */
  perLogin: budgetWindowSchema.optional(),
});

/** `redis://` or `rediss://` (TLS) with a host; the password has its own, masked setting. */
export const redisUrl = z
  .string()
  .trim()
  .superRefine((v, ctx) => {
    const url = parseUrl(v);
    if (!url || !['redis:', 'rediss:'].includes(url.protocol) || url.hostname.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a redis:// or rediss:// URL with a host, e.g. redis://redis.lan:6379/0' });
    } else if (url.username !== '' || url.password !== '') {
      // The URL is logged and printed by check-config: the password has its own, masked setting.
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials: set GLUCO_HUB__STATE__PASSWORD (or …_FILE) instead' });
    }
  });

/** Where bridges keep what follows them: files under `stateDir` (default), or one Redis a fleet shares. */
export const stateSchema = z.object({
  /** `redis://host:6379/0`: state and leases in Redis, so several processes can share the bridges (docs/fleet.md). */
  url: redisUrl.optional(),
  password: secret.optional(),
  /** Every key starts with `<prefix>:`; two fleets on one Redis need two prefixes. */
  prefix: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, ".", "_" and "-" only, at most 64').default('gluco-hub'),
});

/** `i/N` (`--shard`, `GLUCO_HUB__FLEET__SHARD`): this process's static shard. */
const shardText = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const shard = parseShard(v);
    if (typeof shard !== 'string') return shard;
    ctx.addIssue({ code: 'custom', message: shard, params: { [CONFIG_CODE]: 'CFG013' } });
    return z.NEVER;
  });

/** Leases per bridge, used when `state.url` is set (lib/fleet/). */
export const fleetSchema = z.object({
  /** A lease lives this long unless renewed (every third of it); a dead process's bridges move on within about this. */
  leaseMs: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  /** This process's egress address for vendor requests (a bridge's own `localAddress` wins); part of the budget key. */
  localAddress: localAddress.optional(),
  /** This process's shard; without it (and without `shards`) every process tries every free bridge. */
  shard: shardText.optional(),
  /** The shard count, with the index from the host name's `-<ordinal>` (a StatefulSet's pods) when `shard` is not set. */
  shards: z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const n = Number(typeof v === 'string' ? v.trim() : v);
      if (Number.isInteger(n) && n >= 1 && n <= MAX_SHARDS && String(v).trim() !== '') return n;
      ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${MAX_SHARDS}; got "${String(v)}"`, params: { [CONFIG_CODE]: 'CFG013' } });
      return z.NEVER;
    })
    .optional(),
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Following several people: one Nightscout for all of them would mix their glucose in one site
 * (CFG010), and a person named in `people` but not in the `patients` list is a typo (CFG009). With
 * `patients: all` who is followed is known only at run time (a warning, LLU029).
 */
function followIssues(b: BridgeConfig, i: number, ctx: z.RefinementCtx): void {
  const patients = followedPatients(b.source);
  if (patients === undefined) {
    if (b.people !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bridges', i, 'people'], message: 'is only for a bridge that follows several people: set source.patients (all, or a list of patient ids)', params: { [CONFIG_CODE]: 'CFG009' } });
    }
    return;
  }
  if (b.nightscout !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['bridges', i, 'nightscout'],
      message: `bridge "${b.id}" follows several people, and one Nightscout site would mix their glucose: give each person their own under people.<patient id>.nightscout`,
      params: { [CONFIG_CODE]: 'CFG010' },
    });
  }
  if (patients === 'all') return;
  for (const key of Object.keys(b.people ?? {})) {
    if (!patients.includes(key)) {
      ctx.addIssue({ code: 'custom', path: ['bridges', i, 'people', key], message: `names "${key}", which is not in source.patients (${patients.join(', ')}): key people by the listed patient ids`, params: { [CONFIG_CODE]: 'CFG009' } });
    }
  }
}

export const configSchema = z
  .object({
    log: z
      .object({
        level: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(LOG_LEVELS)).default('info'),
        /** `auto`: pretty on a terminal, JSON otherwise. */
        format: z.enum(['auto', 'json', 'pretty']).default('auto'),
      })
      .default({ level: 'info', format: 'auto' }),
    /** How glucose is shown (terminal, status page, MQTT's `value`); `http.unit` and `mqtt.unit` override it per output. */
    unit: glucoseUnit,
    http: httpSchema.default({ enabled: true, bind: '127.0.0.1:8080', metricsAuth: false, unit: 'mgdl' }),
    /** Where gluco-hub keeps vendor sessions and lockouts between runs (files 0600). */
    stateDir: text,
    state: stateSchema.default({ prefix: 'gluco-hub' }),
    fleet: fleetSchema.default({ leaseMs: 30_000 }),
    vendorBudget: vendorBudgetSchema.default({ ...DEFAULT_BUDGET }),
    bridges: z.array(bridgeSchema).min(1),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.bridges.forEach((b, i) => {
      if (seen.has(b.id)) ctx.addIssue({ code: 'custom', path: ['bridges', i, 'id'], message: `bridge id "${b.id}" is used twice` });
      seen.add(b.id);
    });
    cfg.bridges.forEach((b, i) => followIssues(b, i, ctx));
    // Shards say which process asks first for a lease; without Redis there are neither.
    if (cfg.state.url === undefined && (cfg.fleet.shard !== undefined || cfg.fleet.shards !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', cfg.fleet.shard !== undefined ? 'shard' : 'shards'],
        message: 'needs the fleet\'s Redis: set GLUCO_HUB__STATE__URL too (shards divide the bridges among processes sharing it)',
        params: { [CONFIG_CODE]: 'CFG013' },
      });
    }
    // Two bridges on one broker and prefix would overwrite each other's retained `glucose`.
    const prefixes = new Map<string, string>();
    cfg.bridges.forEach((b, i) => {
      if (!b.mqtt) return;
      const key = `${b.mqtt.url} ${b.mqtt.topicPrefix}`;
      const other = prefixes.get(key);
      if (other !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['bridges', i, 'mqtt', 'topicPrefix'], message: `bridges "${other}" and "${b.id}" publish to the same MQTT topic prefix "${b.mqtt.topicPrefix}"; give each its own` });
      } else prefixes.set(key, b.id);
    });
  });
export type Config = z.infer<typeof configSchema>;
