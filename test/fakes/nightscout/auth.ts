import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt, isExpired, looksLikeJwt, signJwt } from './jwt.js';
import { BUILTIN_ROLES, parseRoleList } from './permissions.js';

/** Subjects, access tokens, JWTs and credential resolution. */

export type VersionMode = '15' | '14.2';

/** Role names, or explicit role names and/or permissions. */
export type SubjectSpec = readonly string[] | { roles?: readonly string[]; permissions?: readonly string[] };

export interface Subject {
  name: string;
  /** Stand-in for the Mongo `_id` of `auth_subjects`; deterministic so tokens are stable per secret. */
  id: string;
  roles: string[];
  /** Permissions granted to the subject directly (reported as one more permission group). */
  permissions: string[];
  digest: string;
  accessToken: string;
  accessTokenDigest: string;
}

export type AuthKind = 'none' | 'api-secret' | 'access-token' | 'jwt';

export interface Grant {
  kind: AuthKind;
  /** A credential was presented and resolved to nothing (or to an expired JWT). */
  failed: boolean;
  subject?: Subject;
  admin: boolean;
  /** Effective permissions (subject's roles + default roles, or `*` for the API secret). */
  permissions: string[];
}

export interface AuthConfig {
  apiSecret: string;
  roles: Readonly<Record<string, readonly string[]>>;
  subjects: Readonly<Record<string, SubjectSpec>>;
  defaultRoles: string | readonly string[];
  version: VersionMode;
  authFailDelayMs: number;
}

export interface AuthorizationResponse {
  token: string;
  sub: string;
  permissionGroups: string[][];
  iat: number;
  exp: number;
}

/** Lifetime of a JWT from `/api/v2/authorization/request`. */
export const JWT_LIFETIME_S = 8 * 3600;

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');
const sha512 = (s: string): string => createHash('sha512').update(s).digest('hex');

export function abbrev(name: string): string {
  return name.toLowerCase().replace(/\W/g, '').substring(0, 10);
}

export class NsAuth {
  /** Random per server, like the key written at `npm install`: a new fake invalidates old JWTs. */
  readonly jwtKey = randomBytes(32);
  private subjects = new Map<string, Subject>();
  private penaltyUntil = new Map<string, number>();
  private secretSha1 = '';
  private secretSha512 = '';

  constructor(
    private config: AuthConfig,
    private readonly now: () => number,
    private readonly onFailure: () => void,
  ) {
    this.configure(config);
  }

  configure(config: AuthConfig): void {
    if (config.apiSecret.length < 12) throw new Error('apiSecret must have at least 12 characters (the server ignores shorter ones)');
    this.config = config;
    this.secretSha1 = sha1(config.apiSecret);
    this.secretSha512 = sha512(config.apiSecret);
    this.subjects.clear();
    for (const [name, spec] of Object.entries(config.subjects)) {
      const roles = Array.isArray(spec) ? [...(spec as readonly string[])] : [...((spec as { roles?: readonly string[] }).roles ?? [])];
      const permissions = Array.isArray(spec) ? [] : [...((spec as { permissions?: readonly string[] }).permissions ?? [])];
      const id = sha1(`subject:${name}`).slice(0, 24);
      const digest = sha1(this.secretSha1 + id);
      const accessToken = `${abbrev(name)}-${digest.slice(0, 16)}`;
      this.subjects.set(name, { name, id, roles, permissions, digest, accessToken, accessTokenDigest: sha1(accessToken) });
    }
  }

  get version(): VersionMode {
    return this.config.version;
  }

  tokens(): Record<string, string> {
    return Object.fromEntries([...this.subjects.values()].map((s) => [s.name, s.accessToken]));
  }

  /** The server's lookup: last `-` part (≥16 chars) prefixes the digest, or the whole string prefixes sha1(accessToken). */
  findSubject(token: string): Subject | undefined {
    const prefix = token.split('-').pop() ?? '';
    if (prefix.length < 16) return undefined;
    for (const s of this.subjects.values()) {
      if (s.accessTokenDigest.startsWith(token) || s.digest.startsWith(prefix)) return s;
    }
    return undefined;
  }

  rolePermissions(roles: readonly string[]): string[] {
    return roles.flatMap((r) => [...(this.config.roles[r] ?? BUILTIN_ROLES[r] ?? [])]);
  }

  defaultPermissions(): string[] {
    return this.rolePermissions(parseRoleList(this.config.defaultRoles));
  }

  /** The subject's roles and then the default roles, each once, as the server lists them; direct permissions last. */
  permissionGroups(subject: Subject): string[][] {
    const roles = [...new Set([...subject.roles, ...parseRoleList(this.config.defaultRoles)])];
    const groups = roles.map((r) => this.rolePermissions([r]));
    if (subject.permissions.length > 0) groups.push([...subject.permissions]);
    return groups;
  }

  /** `AUTH_DEFAULT_ROLES` as the server echoes it in `status.json` settings. */
  defaultRolesSetting(): string {
    const d = this.config.defaultRoles;
    return typeof d === 'string' ? d : d.join(' ');
  }

  private subjectGrant(kind: AuthKind, subject: Subject): Grant {
    const permissions = this.permissionGroups(subject).flat();
    return { kind, failed: false, subject, admin: false, permissions };
  }

  failedGrant(kind: AuthKind): Grant {
    return { kind, failed: true, admin: false, permissions: [] };
  }

  /** SHA-1 hex (any case since 15.0, lowercase before) or SHA-512 hex; never the plain secret. */
  isAdminSecret(value: string): boolean {
    const sha1Ok = this.config.version === '14.2' ? value === this.secretSha1 : value.toLowerCase() === this.secretSha1;
    return sha1Ok || value === this.secretSha512;
  }

  /** An access token, or one of our JWTs (`'expired'` when it is ours but stale). */
  private subjectOf(token: string): Subject | 'expired' | undefined {
    if (looksLikeJwt(token)) {
      const payload = decodeJwt(token, this.jwtKey);
      if (payload === null) return undefined;
      if (isExpired(payload, this.now())) return 'expired';
      return this.findSubject(payload.accessToken);
    }
    return this.findSubject(token);
  }

  /** `GET /api/v2/authorization/request/:token` — an access token, or a live JWT to re-sign. */
  issueJwt(tokenOrJwt: string): AuthorizationResponse | null {
    const subject = this.subjectOf(tokenOrJwt);
    if (subject === undefined || subject === 'expired') return null;
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + JWT_LIFETIME_S;
    const token = signJwt({ accessToken: subject.accessToken, iat, exp }, this.jwtKey);
    return { token, sub: subject.name, permissionGroups: this.permissionGroups(subject), iat, exp };
  }

  /** v1/v2 credentials: first one that resolves wins; any presented but none resolving → failed grant. */
  resolveV1(creds: { secret?: string | undefined; token?: string | undefined; bearer?: string | undefined }): Grant {
    let tried: AuthKind | undefined;
    if (creds.secret !== undefined) {
      if (this.isAdminSecret(creds.secret)) return { kind: 'api-secret', failed: false, admin: true, permissions: ['*'] };
      tried = 'api-secret';
      const s = this.subjectOf(creds.secret);
      if (s !== undefined && s !== 'expired') return this.subjectGrant('access-token', s);
    }
    for (const [value, kind] of [
      [creds.token, 'access-token'],
      [creds.bearer, 'jwt'],
    ] as const) {
      if (value === undefined) continue;
      tried ??= kind;
      const s = this.subjectOf(value);
      if (s !== undefined && s !== 'expired') return this.subjectGrant(looksLikeJwt(value) ? 'jwt' : 'access-token', s);
    }
    if (tried !== undefined) return this.failedGrant(tried);
    return { kind: 'none', failed: false, admin: false, permissions: this.defaultPermissions() };
  }

  /** v3: a JWT (15) or, in 14.2 mode, also a raw access token from `?token=`. */
  resolveV3(token: string, kind: 'jwt' | 'access-token'): Grant {
    const s = kind === 'jwt' ? (looksLikeJwt(token) ? this.subjectOf(token) : undefined) : this.findSubject(token);
    if (s === undefined || s === 'expired') return this.failedGrant(kind);
    return this.subjectGrant(kind, s);
  }

  /** Sleeps until the IP's penalty deadline (brute-force delay). */
  async penalty(ip: string): Promise<void> {
    const until = this.penaltyUntil.get(ip);
    if (until === undefined) return;
    const wait = until - this.now();
    if (wait > 0) await sleep(wait);
  }

  fail(ip: string): void {
    this.onFailure();
    if (this.config.authFailDelayMs <= 0) return;
    const base = Math.max(this.now(), this.penaltyUntil.get(ip) ?? 0);
    this.penaltyUntil.set(ip, base + this.config.authFailDelayMs);
  }

  succeed(ip: string): void {
    this.penaltyUntil.delete(ip);
  }
}
