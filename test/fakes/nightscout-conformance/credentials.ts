import { JWT, NOW, OID, pick, type Block, type Step } from './harness.js';

/** The JWT exchange, who may call what on v3 and v1, verifyauth and status.json. */

/** `iat`/`exp` are seconds: keep only the lifetime. */
const jwtView = (body: unknown): unknown => {
  const b = body as { iat?: number; exp?: number };
  return { ...(body as object), iat: typeof b.iat, exp: (b.exp ?? 0) - (b.iat ?? 0) };
};

const unauthorizedV1 = { status: 401, body: { status: 401, message: 'Unauthorized', description: 'Invalid/Missing' } } as const;
const missingToken = { status: 401, body: { status: 401, message: 'Missing or bad access token or JWT' } } as const;
const badToken = { status: 401, body: { status: 401, message: 'Bad access token or JWT' } } as const;
const ENTRY = { type: 'sgv', sgv: 120, date: 1705320000000, device: 'credentials', app: 'gluco-hub' };
const v1Entries = '/api/v1/entries.json?count=1&find[date][$gt]=0';
/** The v3-written entry as v1 shows it: the stored document. */
const anEntry = [
  { ...ENTRY, _id: OID, identifier: '61751afd-4b7c-5ad5-acd9-a62673441e2c', utcOffset: 0, created_at: '2024-01-15T12:00:00.000Z', srvModified: NOW, srvCreated: NOW, subject: 'creator' },
];

/** The storage version is the database's (ours is a stand-in), not Nightscout's. */
const withoutDbVersion = (body: unknown): unknown => {
  const b = body as { status: unknown; result: Record<string, unknown> & { storage?: { storage?: unknown } } };
  return { status: b.status, result: { ...b.result, storage: { storage: b.result.storage?.storage } } };
};

const verify = (canRead: boolean, isAdmin: boolean, message: string, rolefound: string, permissions: string) => ({
  status: 200,
  body: { status: 200, message: { canRead, canWrite: isAdmin, isAdmin, message, rolefound, permissions } },
});

const statusView = (body: unknown): unknown => {
  const b = body as { settings?: Record<string, unknown> };
  const keep = pick('status', 'name', 'version', 'serverTime', 'serverTimeEpoch', 'apiEnabled', 'careportalEnabled', 'authorized', 'runtimeState')(body);
  return { ...(keep as object), settings: pick('units', 'authDefaultRoles')(b.settings) };
};

const statusBody = (authDefaultRoles: string, authorized: unknown) => ({
  status: 'ok',
  name: 'nightscout',
  version: '15.0.7',
  serverTime: NOW,
  serverTimeEpoch: NOW,
  apiEnabled: true,
  careportalEnabled: true,
  authorized,
  runtimeState: 'loaded',
  settings: { units: 'mg/dl', authDefaultRoles },
});

const get = (path: string, rest: Omit<Step, 'path'>): Step => ({ path, ...rest });

export const CREDENTIALS: Block = {
  name: 'credentials (AUTH_DEFAULT_ROLES=denied)',
  scenarios: [
    {
      name: 'an access token becomes an 8-h JWT whose permission groups are the roles plus the default roles',
      steps: [
        get('/api/v2/authorization/request/{token:gluco}', { status: 200, view: jwtView, body: { token: JWT, sub: 'gluco', permissionGroups: [['*'], []], iat: 'number', exp: 8 * 3600 } }),
        get('/api/v2/authorization/request/{token:creator}', {
          status: 200,
          view: jwtView,
          body: { token: JWT, sub: 'creator', permissionGroups: [['api:entries:create', 'api:entries:read'], []], iat: 'number', exp: 8 * 3600 },
        }),
        get('/api/v2/authorization/request/{jwt:gluco}', { status: 200, view: pick('sub'), body: { sub: 'gluco' } }),
      ],
    },
    {
      name: 'an unknown or short token is a v1-style 401; the bare path and POST are Express 404s',
      steps: [
        get('/api/v2/authorization/request/unknown-0123456789abcdef', unauthorizedV1),
        get('/api/v2/authorization/request/short', unauthorizedV1),
        get('/api/v2/authorization/request/', { status: 404, type: 'text/html' }),
        { method: 'POST', path: '/api/v2/authorization/request/{token:gluco}', status: 404, type: 'text/html' },
      ],
    },
    {
      name: 'API v3 takes only "Bearer <JWT>" (any case of bearer), /version is public',
      steps: [
        get('/api/v3/version', { status: 200, view: withoutDbVersion, body: { status: 200, result: { version: '15.0.7', apiVersion: '3.0.3-alpha', srvDate: NOW, storage: { storage: 'mongodb' } } } }),
        get('/api/v3/entries?limit=1', missingToken),
        get('/api/v3/entries?limit=1', { headers: { authorization: 'Bearer abc.def.ghi' }, ...badToken }),
        get('/api/v3/entries?limit=1', { headers: { authorization: 'Bearer {token:gluco}' }, ...badToken }),
        get('/api/v3/entries?limit=1', { headers: { 'api-secret': '{secret}' }, ...missingToken }),
        get('/api/v3/entries?limit=1&token={token:gluco}', missingToken),
        get('/api/v3/entries?limit=1', { headers: { authorization: 'Basic Z2x1Y286eA==' }, ...missingToken }),
        get('/api/v3/entries?limit=1', { headers: { authorization: 'Bearer' }, ...missingToken }),
        get('/api/v3/entries?limit=1', { headers: { authorization: 'Bearer  {jwt:gluco}' }, ...missingToken }),
        get('/api/v3/entries?limit=1', { headers: { authorization: 'bearer {jwt:gluco}' }, status: 200, body: { status: 200, result: [] } }),
      ],
    },
    {
      name: 'a v3 role without create/update/read is a 403 naming the permission, also on a dedup POST',
      steps: [
        { method: 'POST', path: '/api/v3/treatments', as: 'creator', send: { eventType: 'Note', date: 1705320000000, app: 'gluco-hub' }, status: 403, body: { status: 403, message: 'Missing permission api:treatments:create' } },
        { method: 'POST', path: '/api/v3/entries', as: 'creator', send: ENTRY, status: 201, body: { status: 201, identifier: '61751afd-4b7c-5ad5-acd9-a62673441e2c', lastModified: NOW } },
        { method: 'POST', path: '/api/v3/entries', as: 'creator', send: ENTRY, status: 403, body: { status: 403, message: 'Missing permission api:entries:update' } },
        get('/api/v3/devicestatus', { as: 'creator', status: 403, body: { status: 403, message: 'Missing permission api:devicestatus:read' } }),
        get('/api/v3/entries?fields=sgv', { as: 'creator', status: 200, body: { status: 200, result: [{ sgv: 120 }] } }),
      ],
    },
    {
      name: 'v3 /status lists only wildcard grants (the api:undefined bug) and /lastModified only readable collections',
      steps: [
        get('/api/v3/status', { as: 'creator', status: 200, view: withoutDbVersion, body: { status: 200, result: { version: '15.0.7', apiVersion: '3.0.3-alpha', srvDate: NOW, storage: { storage: 'mongodb' }, apiPermissions: {} } } }),
        get('/api/v3/status', {
          as: 'gluco',
          status: 200,
          view: (b) => (b as { result: { apiPermissions: unknown } }).result.apiPermissions,
          body: { devicestatus: 'crud', entries: 'crud', food: 'crud', profile: 'crud', settings: 'crud', treatments: 'crud' },
        }),
        get('/api/v3/lastModified', { as: 'creator', status: 200, body: { status: 200, result: { srvDate: NOW, collections: { entries: NOW } } } }),
        get('/api/v3/lastModified', { status: 401, body: { status: 401, message: 'Missing or bad access token or JWT' } }),
      ],
    },
    {
      name: 'v1 takes the hashed secret, an access token (query or api-secret header) or "Bearer <JWT>"; nothing else',
      steps: [
        get(v1Entries, { as: 'secret', status: 200, body: anEntry }),
        get(v1Entries, { as: 'gluco', status: 200, body: anEntry }),
        get(v1Entries, { as: 'creator', status: 200, body: anEntry }),
        get(`${v1Entries}&token={token:gluco}`, { status: 200, body: anEntry }),
        get(`${v1Entries}&secret={secret}`, { status: 200, body: anEntry }),
        get(v1Entries, { headers: { 'api-secret': '{token:creator}' }, status: 200, body: anEntry }),
        get(v1Entries, unauthorizedV1),
        get(v1Entries, { headers: { 'api-secret': 'wrong' }, ...unauthorizedV1 }),
        get(v1Entries, { headers: { authorization: 'Bearer garbage' }, ...unauthorizedV1 }),
        get(v1Entries, { headers: { authorization: 'bearer {jwt:gluco}' }, ...unauthorizedV1 }),
        {
          method: 'POST',
          path: '/api/v1/entries',
          as: 'creator',
          // An hour later: a v1 entry at the v3 writes' time would be their fallback-dedup match.
          send: [{ ...ENTRY, sgv: 121, date: ENTRY.date + 3600_000 }],
          status: 200,
          body: [{ ...ENTRY, sgv: 121, date: ENTRY.date + 3600_000, utcOffset: 0, sysTime: '2024-01-15T13:00:00.000Z', _id: OID }],
        },
        { method: 'POST', path: '/api/v1/treatments', as: 'creator', send: [{ eventType: 'Note', created_at: '2024-01-15T12:00:00.000Z' }], ...unauthorizedV1 },
        get('/api/v1/devicestatus.json', { as: 'creator', ...unauthorizedV1 }),
      ],
    },
    {
      name: 'verifyauth is always 200: DEFAULT only without any credential, ROLE for a wrong one',
      steps: [
        get('/api/v1/verifyauth', verify(false, false, 'UNAUTHORIZED', 'NOTFOUND', 'DEFAULT')),
        get('/api/v1/verifyauth', { as: 'secret', ...verify(true, true, 'OK', 'NOTFOUND', 'ROLE') }),
        get('/api/v1/verifyauth', { headers: { 'api-secret': 'wrong' }, ...verify(false, false, 'UNAUTHORIZED', 'NOTFOUND', 'ROLE') }),
        get('/api/v1/verifyauth?token={token:creator}', verify(false, false, 'UNAUTHORIZED', 'FOUND', 'ROLE')),
        get('/api/v1/verifyauth', { as: 'creator', ...verify(false, false, 'UNAUTHORIZED', 'FOUND', 'ROLE') }),
        get('/api/v1/verifyauth', { as: 'gluco', ...verify(true, true, 'OK', 'FOUND', 'ROLE') }),
      ],
    },
    {
      name: 'status.json needs api:status:read; ?token= fills `authorized`; /api/versions lists v3',
      steps: [
        get('/api/v1/status.json', unauthorizedV1),
        get('/api/v1/status.json', { headers: { 'api-secret': 'wrong' }, ...unauthorizedV1 }),
        get('/api/v1/status.json', { as: 'secret', status: 200, view: statusView, body: statusBody('denied', null) }),
        get('/api/v1/status.json?token={token:gluco}', {
          status: 200,
          view: (b) => jwtView((statusView(b) as { authorized: unknown }).authorized),
          body: { token: JWT, sub: 'gluco', permissionGroups: [['*'], []], iat: 'number', exp: 8 * 3600 },
        }),
        get('/api/v1/status.json?token={token:creator}', unauthorizedV1),
        get('/api/versions', {
          status: 200,
          body: [
            { version: '1.0.0', url: '/api/v1' },
            { version: '2.0.0', url: '/api/v2' },
            { version: '3.0.3-alpha', url: '/api/v3' },
          ],
        }),
      ],
    },
  ],
};

/** The fake's own default and most sites': anonymous v1 reads work, and show up in the JWT. */
export const READABLE: Block = {
  name: 'credentials (AUTH_DEFAULT_ROLES=readable)',
  scenarios: [
    {
      name: 'default roles join every JWT and let anonymous v1 reads through, but not writes or v3',
      steps: [
        get('/api/v2/authorization/request/{token:creator}', {
          status: 200,
          view: pick('permissionGroups'),
          body: { permissionGroups: [['api:entries:create', 'api:entries:read'], ['*:*:read']] },
        }),
        get('/api/v1/entries.json?count=1&find[date][$gt]=0', { status: 200, body: [] }),
        get('/api/v1/status.json', { status: 200, view: statusView, body: statusBody('readable', null) }),
        get('/api/v1/verifyauth', verify(true, false, 'UNAUTHORIZED', 'NOTFOUND', 'DEFAULT')),
        get('/api/v1/verifyauth', { as: 'creator', ...verify(true, false, 'OK', 'FOUND', 'ROLE') }),
        { method: 'POST', path: '/api/v1/entries', send: [ENTRY], ...unauthorizedV1 },
        get('/api/v3/entries', missingToken),
        get('/api/v3/treatments', { as: 'creator', status: 200, body: { status: 200, result: [] } }),
      ],
    },
  ],
};
