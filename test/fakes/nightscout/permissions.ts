/** Apache-Shiro style permissions (`domain:collection:action`, `*` and `a,b` parts) and Nightscout's built-in roles. */

export const BUILTIN_ROLES: Readonly<Record<string, readonly string[]>> = {
  admin: ['*'],
  denied: [],
  'status-only': ['api:status:read'],
  readable: ['*:*:read'],
  careportal: ['api:treatments:create'],
  'devicestatus-upload': ['api:devicestatus:create'],
  activity: ['api:activity:create'],
};

function implies(granted: string, wanted: string): boolean {
  const g = granted.split(':');
  const w = wanted.split(':');
  for (let i = 0; i < Math.max(g.length, w.length); i++) {
    const gp = g[i];
    // A shorter grant covers everything below it ("api:entries" grants "api:entries:read").
    if (gp === undefined) return true;
    const options = gp.split(',');
    if (options.includes('*')) continue;
    const wp = w[i];
    if (wp === undefined) return false;
    if (!options.includes(wp)) return false;
  }
  return true;
}

export function permits(granted: readonly string[], wanted: string): boolean {
  return granted.some((g) => implies(g, wanted));
}

/** `AUTH_DEFAULT_ROLES` is split on comma, space and colon like the server does. */
export function parseRoleList(value: string | readonly string[]): string[] {
  const list = typeof value === 'string' ? value.split(/[, :]/) : [...value];
  return list.filter((r) => r.length > 0);
}
