import { createHash, randomBytes } from 'node:crypto';
import type { Endpoints } from './discovery.js';
import { clError } from './errors.js';

/**
 * OAuth 2 authorization code with PKCE (RFC 7636), as the CareLink app does it since the 2026
 * Auth0 migration: the person logs in on CareLink's page (CAPTCHA, MFA), the page redirects to
 * the app's custom scheme with a code, and the person pastes that address (or the code) back.
 */

export interface Pkce {
  verifier: string;
  challenge: string;
  /** Ties the pasted redirect to this login attempt. */
  state: string;
}

export function createPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), state: randomBytes(16).toString('base64url') };
}

export interface AuthorizeOptions {
  /** Pre-fills the username on the login page. */
  loginHint?: string | undefined;
  language?: string | undefined;
}

export function authorizeUrl(endpoints: Endpoints, pkce: Pkce, options: AuthorizeOptions = {}): string {
  const params = new URLSearchParams({
    client_id: endpoints.clientId,
    response_type: 'code',
    scope: endpoints.scope,
    redirect_uri: endpoints.redirectUri,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    state: pkce.state,
  });
  if (endpoints.audience) params.set('audience', endpoints.audience);
  if (options.loginHint) params.set('login_hint', options.loginHint);
  if (options.language) params.set('ui_locales', options.language);
  return `${endpoints.authorizeUrl}?${params.toString()}`;
}

/** The query of a pasted redirect (`com.medtronic.carepartner:/sso?code=…&state=…`), or undefined for a bare code. */
function redirectQuery(text: string): URLSearchParams | undefined {
  const at = text.indexOf('?');
  if (at < 0 || !/[?&](code|error|state)=/.test(text)) return undefined;
  return new URLSearchParams(text.slice(at + 1).split('#')[0]);
}

/** The authorization code in what the person pasted: the whole redirect address, or the code alone. */
export function codeFromPaste(pasted: string, expectedState: string): string {
  const text = pasted.trim();
  if (text === '') throw clError('CL009', { params: { reason: 'nothing was pasted' } });
  const query = redirectQuery(text);
  if (query === undefined) {
    if (/^[A-Za-z0-9._~-]{6,}$/.test(text)) return text;
    throw clError('CL009', { params: { reason: 'no code= in it' } });
  }
  const error = query.get('error');
  if (error) {
    const description = (query.get('error_description') ?? '').slice(0, 120);
    throw clError('CL009', { params: { reason: `the login page answered ${error}${description ? `: ${description}` : ''}` } });
  }
  const code = query.get('code');
  if (!code) throw clError('CL009', { params: { reason: 'no code= in it' } });
  const state = query.get('state');
  if (state !== null && state !== expectedState) {
    throw clError('CL009', { params: { reason: 'it belongs to another login attempt (state does not match)' } });
  }
  return code;
}
