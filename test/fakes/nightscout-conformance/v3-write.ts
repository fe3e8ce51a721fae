import { NOW, OID, type Block, type Step } from './harness.js';

/** API v3 create (POST): identifiers, dedup, immutable fields, validation, dates. */

const T0 = 1705320000000; // 2024-01-15T12:00:00Z
const APP = 'gluco-hub';
const DEVICE = 'conformance';
const sgv = (date: unknown, value: number, extra: Record<string, unknown> = {}) => ({ type: 'sgv', sgv: value, date, device: DEVICE, app: APP, ...extra });

const post = (collection: string, send: unknown, answer: Omit<Step, 'path'>): Step => ({ method: 'POST', path: `/api/v3/${collection}`, as: 'gluco', send, ...answer });
const bad = (message: string) => ({ status: 400, body: { status: 400, message } });
const created = (identifier: string) => ({ status: 201, body: { status: 201, identifier, lastModified: NOW } });
const dedup = (identifier: string, extra: Record<string, unknown> = {}) => ({ status: 200, body: { status: 200, lastModified: NOW, identifier, isDeduplication: true, ...extra } });
const read = (collection: string, identifier: string, result: Record<string, unknown>): Step => ({
  path: `/api/v3/${collection}/${identifier}`,
  as: 'gluco',
  status: 200,
  body: { status: 200, result: { identifier, srvModified: NOW, srvCreated: NOW, subject: 'gluco', ...result } },
});

const E1 = '6e0d4b4a-d04d-568a-82c6-3053a479d1d1';
const NOTE = { eventType: 'Note', date: 1705330000000, device: DEVICE, app: APP };
/** As outputs/nightscout/documents.ts prepares them for either API. */
const SWITCH_ENTRY = { type: 'sgv', sgv: 140, date: 1705361000000, dateString: '2024-01-15T23:23:20.000Z', device: 'gh-switch', app: APP, utcOffset: 0, identifier: '6829d556-e74a-5618-9237-597239744c45' };
const SWITCH_BOLUS = {
  eventType: 'Correction Bolus',
  insulin: 1.5,
  date: 1705361000000,
  created_at: '2024-01-15T23:23:20.000Z',
  device: 'gh-switch',
  app: APP,
  utcOffset: 0,
  identifier: '67c0374a-1813-5bf3-8944-e4c6ba9dbbba',
};
const TEMP_BASAL = { eventType: 'Temp Basal', date: 1705331000000, duration: 30, absolute: 0, device: DEVICE, app: APP };
const FIXED = { identifier: 'conformance-fixed-1', eventType: 'Note', date: 1705330060000, device: DEVICE, app: APP };

export const V3_WRITE: Block = {
  name: 'API v3 writes',
  scenarios: [
    {
      name: 'a new entry is 201 with Location; the same again is 200 isDeduplication and replaces it',
      steps: [
        post('entries', sgv(T0, 100), { ...created(E1), answerHeaders: { location: `/api/v3/entries/${E1}`, 'last-modified': NOW } }),
        post('entries', sgv(T0, 100), { ...dedup(E1), answerHeaders: { location: `/api/v3/entries/${E1}` } }),
        post('entries', sgv(T0, 101), dedup(E1)),
        read('entries', E1, { ...sgv(T0, 101), utcOffset: 0, created_at: '2024-01-15T12:00:00.000Z' }),
      ],
    },
    {
      name: 'a dedup hit that changes an immutable field is a 400 naming the first one',
      steps: [
        post('entries', sgv(T0, 101, { app: 'other-app' }), bad('Field app cannot be modified by the client')),
        post('treatments', FIXED, created('conformance-fixed-1')),
        post('treatments', { ...FIXED, eventType: 'Meal Bolus' }, bad('Field eventType cannot be modified by the client')),
        post('treatments', { ...FIXED, date: 1705330120000 }, bad('Field date cannot be modified by the client')),
        post('treatments', { ...FIXED, utcOffset: 60 }, bad('Field utcOffset cannot be modified by the client')),
        post('treatments', { ...FIXED, device: 'other-device' }, bad('Field device cannot be modified by the client')),
        post('treatments', { ...FIXED, srvCreated: 1 }, bad('Field srvCreated cannot be modified by the client')),
        post('treatments', { ...FIXED, subject: 'someone' }, bad('Field subject cannot be modified by the client')),
        post('treatments', { ...FIXED, isValid: false }, bad('Field isValid cannot be modified by the client')),
        post('treatments', { ...FIXED, notes: 'changed' }, dedup('conformance-fixed-1')),
      ],
    },
    {
      name: 'validation: date, app, utcOffset and identifier, with the server’s exact messages',
      steps: [
        post('entries', { type: 'sgv', sgv: 100, device: DEVICE, app: APP }, bad('Bad or missing date field')),
        post('entries', sgv('garbage', 100), bad('Bad or missing date field')),
        post('entries', sgv({ value: 1 }, 100), bad('Bad or missing date field')),
        post('entries', sgv(1, 100), bad('Bad or missing date field')),
        post('entries', sgv(null, 100), bad('Bad or missing date field')),
        post('entries', { type: 'sgv', sgv: 100, date: T0 + 60_000, device: DEVICE }, bad('Bad or missing app field')),
        post('entries', sgv(T0 + 60_000, 100, { app: '' }), bad('Bad or missing app field')),
        post('entries', sgv(T0 + 60_000, 100, { utcOffset: 5000 }), bad('Bad or missing utcOffset field')),
        post('entries', sgv(T0 + 60_000, 100, { utcOffset: '60' }), bad('Bad or missing utcOffset field')),
        post('entries', sgv(T0 + 60_000, 100, { identifier: 42 }), bad('Bad or missing identifier field')),
      ],
    },
    {
      name: 'the body must be one JSON object: arrays, empty, other types and broken JSON are refused',
      steps: [
        post('entries', [sgv(T0, 100)], bad('Bad or missing date field')),
        post('entries', [], bad('Bad or missing request body')),
        post('entries', {}, bad('Bad or missing request body')),
        { method: 'POST', path: '/api/v3/entries', as: 'gluco', raw: JSON.stringify(sgv(T0, 100)), contentType: 'text/plain', ...bad('Bad or missing request body') },
        { method: 'POST', path: '/api/v3/entries', as: 'gluco', raw: '{"type":', status: 500, body: { status: 500, message: 'Internal Server Error' } },
        { method: 'POST', path: '/api/v3/entries', raw: '{"type":', status: 500, body: { status: 500, message: 'Internal Server Error' } },
        { method: 'POST', path: '/api/v3/entries', as: 'gluco', raw: '"just a string"', status: 500, body: { status: 500, message: 'Internal Server Error' } },
      ],
    },
    {
      name: 'dates: ISO with offset keeps the offset, epoch seconds and numeric strings become ms, created_at stands in for date',
      steps: [
        post('entries', sgv('2024-01-15T14:10:00+02:00', 102), created('6667ede4-7a5e-5596-9779-8e99b112cdf6')),
        read('entries', '6667ede4-7a5e-5596-9779-8e99b112cdf6', { ...sgv(1705320600000, 102), utcOffset: 120, created_at: '2024-01-15T12:10:00.000Z' }),
        post('entries', sgv(1705320900, 103), created('6847cab4-5906-5f3e-b50f-55bb8a658235')),
        post('entries', { type: 'sgv', sgv: 104, created_at: '2024-01-15T12:20:00.000Z', device: DEVICE, app: APP }, created('23f3ae85-2c69-5ffa-8acf-09cf31eeb688')),
        post('entries', sgv('1705321500000', 105), created('05e9809f-e98b-5c84-afa7-c207d8258cae')),
        read('entries', '05e9809f-e98b-5c84-afa7-c207d8258cae', { ...sgv(1705321500000, 105), utcOffset: 0, created_at: '2024-01-15T12:25:00.000Z' }),
        post('entries', sgv(946684799000, 106), created('2314a054-276d-5aac-8381-daa1c8490ddd')),
      ],
    },
    {
      name: 'treatments: the identifier is device + date + eventType; a blank identifier is computed',
      steps: [
        post('treatments', NOTE, created('902b1822-0e8d-5e02-9a19-5c5604f186d1')),
        post('treatments', NOTE, dedup('902b1822-0e8d-5e02-9a19-5c5604f186d1')),
        post('treatments', { ...NOTE, eventType: 'Correction Bolus', insulin: 1 }, created('c8e8f3bd-f827-5db6-9815-d12fbbfdb195')),
        post('treatments', { eventType: 'Note', date: 1705350000000, app: APP, identifier: '' }, created('f931d38f-2214-5afc-831a-a42d7fad8038')),
      ],
    },
    {
      name: 'a dedup replace (not an insert) adds endmills and durationInMilliseconds when there is a duration',
      steps: [
        post('treatments', TEMP_BASAL, created('2903c0b7-3801-51ba-b22d-71b4e6c5db82')),
        read('treatments', '2903c0b7-3801-51ba-b22d-71b4e6c5db82', { ...TEMP_BASAL, utcOffset: 0, created_at: '2024-01-15T15:03:20.000Z' }),
        post('treatments', TEMP_BASAL, dedup('2903c0b7-3801-51ba-b22d-71b4e6c5db82')),
        read('treatments', '2903c0b7-3801-51ba-b22d-71b4e6c5db82', {
          ...TEMP_BASAL,
          utcOffset: 0,
          created_at: '2024-01-15T15:03:20.000Z',
          endmills: 1705331000000 + 30 * 60_000,
          durationInMilliseconds: 30 * 60_000,
        }),
      ],
    },
    {
      name: 'devicestatus: the identifier is device + date; a dedup replaces the whole document',
      steps: [
        post('devicestatus', { device: DEVICE, date: 1705330000000, app: APP, uploaderBattery: 50, pump: { reservoir: 100 } }, created('fe1a850c-d09d-5408-b91a-f2a792f6654e')),
        post('devicestatus', { device: DEVICE, date: 1705330000000, app: APP, uploaderBattery: 40 }, dedup('fe1a850c-d09d-5408-b91a-f2a792f6654e')),
        read('devicestatus', 'fe1a850c-d09d-5408-b91a-f2a792f6654e', { device: DEVICE, date: 1705330000000, app: APP, uploaderBattery: 40, utcOffset: 0, created_at: '2024-01-15T14:46:40.000Z' }),
      ],
    },
    {
      name: 'v1-written documents are found by the fallback fields and then fail on the fields v1 did not store',
      steps: [
        {
          method: 'POST',
          path: '/api/v1/entries',
          as: 'secret',
          send: [
            { type: 'sgv', sgv: 110, date: 1705360000000, device: 'xdrip' },
            { type: 'sgv', sgv: 111, date: 1705360300000, device: 'xdrip', app: APP },
          ],
          status: 200,
        },
        post('entries', { type: 'sgv', sgv: 110, date: 1705360000000, device: 'xdrip', app: APP }, bad('Field app cannot be modified by the client')),
        post('entries', { type: 'sgv', sgv: 111, date: 1705360300000, device: 'xdrip', app: APP }, dedup('8f8df0f1-53c1-5f2c-987e-1c1f7197cf94', { deduplicatedIdentifier: OID })),
        { method: 'POST', path: '/api/v1/treatments', as: 'secret', send: [{ eventType: 'Note', created_at: '2024-01-15T16:00:00.000Z', notes: 'v1' }], status: 200 },
        post('treatments', { eventType: 'Note', created_at: '2024-01-15T16:00:00.000Z', app: APP, notes: 'v3' }, bad('Field date cannot be modified by the client')),
      ],
    },
    {
      name: 'a document gluco-hub wrote through v1 (with identifier, app, utcOffset) is the same document to v3',
      steps: [
        { method: 'POST', path: '/api/v1/entries', as: 'secret', send: [SWITCH_ENTRY], status: 200 },
        post('entries', SWITCH_ENTRY, dedup('6829d556-e74a-5618-9237-597239744c45')),
        { method: 'POST', path: '/api/v1/treatments', as: 'secret', send: [SWITCH_BOLUS], status: 200 },
        post('treatments', SWITCH_BOLUS, dedup('67c0374a-1813-5bf3-8944-e4c6ba9dbbba')),
      ],
    },
    {
      // Hostile input: the body's values go into the lookup filter as they are.
      name: 'a `$` operator in identifier or a fallback field reaches the dedup query and matches documents it does not equal',
      steps: [
        post('entries', { type: 'sgv', sgv: 1, date: { $gt: 0 }, device: 'xdrip', app: APP }, bad('Field date cannot be modified by the client')),
        post('entries', { type: { $ne: null }, sgv: 1, date: 1705360000000, device: 'xdrip', app: APP }, bad('Field app cannot be modified by the client')),
        post('treatments', { ...FIXED, identifier: { $regex: '^conformance-fixed-1$' }, eventType: 'Meal Bolus' }, bad('Field eventType cannot be modified by the client')),
      ],
    },
    {
      name: 'v3 stores strings and odd keys verbatim: no HTML sanitising, `$` keys and a string _id are kept',
      steps: [
        post('treatments', { ...NOTE, date: 1705340000000, notes: '<script>alert(1)</script>a & b <b>c</b>' }, created('3c4ca6c8-fc32-58e3-be82-75e8ee7161e8')),
        read('treatments', '3c4ca6c8-fc32-58e3-be82-75e8ee7161e8', {
          ...NOTE,
          date: 1705340000000,
          notes: '<script>alert(1)</script>a & b <b>c</b>',
          utcOffset: 0,
          created_at: '2024-01-15T17:33:20.000Z',
        }),
        post('treatments', { ...NOTE, date: 1705340060000, $where: 'sleep(1)' }, created('0dd11939-acb7-56a1-84c2-99444e010cdc')),
        post('treatments', { ...NOTE, date: 1705340120000, _id: 'my-own-id' }, created('3821e61e-cd5e-5060-820b-54d21b960a65')),
      ],
    },
    {
      name: 'unknown collections and routes are 404s; a missing document is a bare 404',
      steps: [
        post('foods', NOTE, { status: 404, body: { status: 404, message: 'Bad operation or collection' } }),
        { method: 'PUT', path: '/api/v3/entries', as: 'gluco', send: {}, status: 404, body: { status: 404, message: 'Bad operation or collection' } },
        { path: '/api/v3/entries/no-such-identifier', as: 'gluco', status: 404, body: { status: 404 } },
        { method: 'DELETE', path: '/api/v3/entries/no-such-identifier', as: 'gluco', status: 404, body: { status: 404 } },
      ],
    },
  ],
};
