import { z } from 'zod';

/**
 * The CareLink login, kept in the bridge's state store (`carelink-login.json`, mode 0600,
 * replaced atomically): `gluco-hub login carelink` writes it, the driver reads it and writes every
 * refreshed (possibly rotated) token back before it uses the new one.
 */

export const STATE_KEYS = { login: 'carelink-login' } as const;

export const loginRecordSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  clientId: z.string().min(1),
  tokenUrl: z.string().min(1),
  audience: z.string().optional(),
  scope: z.string().optional(),
  /** Epoch ms when the access token stops working (`expires_in`, else the JWT's `exp`, else 0). */
  expiresAt: z.number(),
  region: z.enum(['us', 'eu']),
  /** How the login was made: the interactive login, or `--import` of a logindata.json. */
  origin: z.enum(['login', 'import']),
  /** Epoch ms of the last write (login, import or refresh). */
  savedAt: z.number(),
  /** The token endpoint answered `invalid_grant` / `invalid_client`: never try this refresh token again. */
  revoked: z.object({ at: z.number(), reason: z.string() }).optional(),
});
export type LoginRecord = z.infer<typeof loginRecordSchema>;

export { readRecord } from '../../lib/state-record.js';
