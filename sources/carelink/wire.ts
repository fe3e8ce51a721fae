import { z } from 'zod';

/**
 * CareLink response contracts, one schema each. All objects are loose:
 * only what we read may fail a parse.
 */

export const cpEntrySchema = z.looseObject({
  region: z.string(),
  baseUrlCareLink: z.string().min(1),
  baseUrlCumulus: z.string().min(1),
  /** The *name* of the key that holds the SSO configuration URL (`Auth0SSOConfiguration`). */
  UseSSOConfiguration: z.string().optional(),
});
export type CpEntry = z.infer<typeof cpEntrySchema>;

export const discoverySchema = z.looseObject({
  supportedCountries: z.array(z.record(z.string(), z.looseObject({ region: z.string() }))).default([]),
  CP: z.array(cpEntrySchema).min(1),
});
export type Discovery = z.infer<typeof discoverySchema>;

export const ssoConfigSchema = z.looseObject({
  server: z.looseObject({ hostname: z.string().min(1), port: z.coerce.number().int().optional(), prefix: z.string().optional() }),
  client: z.looseObject({
    client_id: z.string().min(1),
    scope: z.string().optional(),
    audience: z.string().optional(),
    redirect_uri: z.string().min(1),
  }),
  system_endpoints: z.looseObject({ authorization_endpoint_path: z.string().min(1), token_endpoint_path: z.string().min(1) }),
});
export type SsoConfig = z.infer<typeof ssoConfigSchema>;

/** `POST <token_endpoint>`: a refresh may or may not rotate `refresh_token`. */
export const tokenAnswerSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  /** Seconds. */
  expires_in: z.coerce.number().positive().optional(),
  scope: z.string().optional(),
  token_type: z.string().optional(),
});
export type TokenAnswer = z.infer<typeof tokenAnswerSchema>;

/** RFC 6749 §5.2. */
export const oauthErrorSchema = z.looseObject({ error: z.string().min(1), error_description: z.string().optional() });

export const userSchema = z.looseObject({
  username: z.string().min(1),
  role: z.string().default('PATIENT'),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  country: z.string().nullish(),
});
export type CareLinkUser = z.infer<typeof userSchema>;

export const linkedPatientSchema = z.looseObject({
  username: z.string().min(1),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  status: z.string().nullish(),
});
export type LinkedPatient = z.infer<typeof linkedPatientSchema>;
export const linkedPatientsSchema = z.array(linkedPatientSchema);

export const monitorSchema = z.looseObject({ deviceFamily: z.string().nullish(), medicalDeviceFamily: z.string().nullish() });
export const recentUploadsSchema = z.looseObject({ recentUploads: z.array(z.looseObject({ device: z.string().nullish() })).default([]) });
export const settingValueSchema = z.looseObject({ value: z.union([z.boolean(), z.string()]).nullish() });

/** An Auth0-era `logindata.json` (carelink-python-client, xDrip, carelink-bridge). */
export const loginDataSchema = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  client_id: z.string().min(1),
  token_url: z.url(),
  audience: z.string().optional(),
  scope: z.string().optional(),
});

/** Fields only MAG-era files (dead since January 2026) have. */
export const MAG_FIELDS = ['client_secret', 'mag-identifier'] as const;

export { firstIssue } from '../../lib/zod-issue.js';
