import { NOW, OID, RECENT, iso, type Block, type Step } from './harness.js';

/**
 * API v1: entries upsert on sysTime + type and echo every document,
 * treatments normalise and upsert, devicestatus never deduplicates; strings are HTML-sanitised;
 * reads by `find[...]`, newest first, with a 4-day default window. Data lives on 2024-02-01 (and
 * two hours ago), apart from the other blocks of the same site.
 */

const MIN = 60_000;
const T1 = 1706788800000; // 2024-02-01T12:00:00Z
const at = (minutes: number): number => T1 + minutes * MIN;
const isoAt = (minutes: number): string => iso(at(minutes));
const DEVICE = 'v1-uploader';

const post = (collection: string, send: unknown, answer: Omit<Step, 'path'>): Step => ({ method: 'POST', path: `/api/v1/${collection}`, as: 'secret', send, ...answer });
const get = (path: string, body: unknown, extra: Partial<Step> = {}): Step => ({ path, as: 'secret', status: 200, body, ...extra });
const html = (status: number): Omit<Step, 'path'> => ({ status, type: 'text/html' });

/**
 * The midnight an object `date` turns into (moment reads it as date units, none of which it knows).
 * Read before normalising: just after midnight UTC that time is also "now".
 */
const midnightView = (body: unknown): unknown =>
  (body as Record<string, unknown>[]).map((d) => ({ ...d, sysTime: typeof d.sysTime === 'string' && d.sysTime.endsWith('T00:00:00.000Z') ? 'midnight' : d.sysTime }));

const entryA = { type: 'sgv', sgv: 101, date: at(0), dateString: '2024-02-01T13:00:00.000+01:00', device: DEVICE, direction: 'Flat' };
const entryB = { type: 'sgv', sgv: 102, date: at(5), device: DEVICE };
const storedA = { ...entryA, dateString: isoAt(0), utcOffset: 60, sysTime: isoAt(0) };
const storedB = { ...entryB, utcOffset: 0, sysTime: isoAt(5) };

export const V1: Block = {
  name: 'API v1',
  scenarios: [
    {
      name: 'POST entries echoes every document; a repeat of sysTime + type is $set-merged and echoed without _id',
      steps: [
        post('entries', [entryA, entryB], { status: 200, body: [{ ...storedA, _id: OID }, { ...storedB, _id: OID }] }),
        post('entries', [{ type: 'sgv', sgv: 111, date: at(0), device: DEVICE }], { status: 200, body: [{ type: 'sgv', sgv: 111, date: at(0), device: DEVICE, utcOffset: 0, sysTime: isoAt(0) }] }),
        get(`/api/v1/entries.json?find[date][$gte]=${at(0)}&find[date][$lte]=${at(5)}`, [
          { ...storedB, _id: OID },
          { ...storedA, sgv: 111, utcOffset: 0, _id: OID },
        ]),
        post('entries', { type: 'mbg', mbg: 95, date: at(10), device: DEVICE }, { status: 200, body: [{ type: 'mbg', mbg: 95, date: at(10), device: DEVICE, utcOffset: 0, sysTime: isoAt(10), _id: OID }] }),
        post('entries', { type: 'sgv', sgv: 100, device: DEVICE }, { status: 200, body: [] }),
        post('entries', [], { status: 200, body: [] }),
      ],
    },
    {
      name: 'entries without type or sysTime are keyed by the whole document; a UUID _id becomes the identifier',
      steps: [
        post('entries', [{ sgv: 103, date: at(15), device: DEVICE }], { status: 200, body: [{ sgv: 103, date: at(15), device: DEVICE, utcOffset: 0, sysTime: isoAt(15), _id: OID }] }),
        post('entries', [{ sgv: 103, date: at(15), device: DEVICE }], { status: 200, body: [{ sgv: 103, date: at(15), device: DEVICE, utcOffset: 0, sysTime: isoAt(15) }] }),
        post('entries', [{ type: 'sgv', sgv: 'abc', date: 'not-a-date', device: DEVICE }], { status: 200, body: [{ type: 'sgv', sgv: 'abc', date: 'not-a-date', device: DEVICE, utcOffset: null, sysTime: null, _id: OID }] }),
        post('entries', [{ type: 'sgv', sgv: 104, date: String(at(20)), device: DEVICE }], { status: 200, body: [{ type: 'sgv', sgv: 104, date: String(at(20)), device: DEVICE, utcOffset: null, sysTime: null, _id: OID }] }),
        post('entries', [{ type: 'sgv', sgv: 105, date: { $gt: 0 }, device: DEVICE }], { status: 200, before: midnightView, body: [{ type: 'sgv', sgv: 105, date: { $gt: 0 }, device: DEVICE, utcOffset: 0, sysTime: 'midnight', _id: OID }] }),
        post('entries', [{ type: 'sgv', sgv: 106, date: at(25), device: DEVICE, _id: 'c0ffee00-1111-4222-8333-444455556666' }], {
          status: 200,
          body: [{ type: 'sgv', sgv: 106, date: at(25), device: DEVICE, identifier: 'c0ffee00-1111-4222-8333-444455556666', utcOffset: 0, sysTime: isoAt(25), _id: OID }],
        }),
      ],
    },
    {
      name: 'strings with markup are sanitised (DOMPurify) in entries, treatments and devicestatus; plain ones are kept',
      steps: [
        post('entries', [{ type: 'sgv', sgv: 107, date: at(30), device: '<script>alert(1)</script>pump & co' }], {
          status: 200,
          body: [{ type: 'sgv', sgv: 107, date: at(30), device: 'pump &amp; co', utcOffset: 0, sysTime: isoAt(30), _id: OID }],
        }),
        post(
          'treatments',
          [
            {
              eventType: 'Note',
              created_at: isoAt(30),
              notes: 'BG < 70 & falling <b>fast</b> <img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>',
              enteredBy: 'a & b',
              reason: '<i>kept</i>',
              nested: { s: '<script>1</script>y', n: 5 },
              list: ['<script>1</script>z', 'plain'],
            },
          ],
          {
            status: 200,
            body: [
              {
                eventType: 'Note',
                created_at: isoAt(30),
                notes: 'BG &lt; 70 &amp; falling <b>fast</b> <img src="x"> <a>x</a>',
                enteredBy: 'a & b',
                reason: '<i>kept</i>',
                nested: { s: 'y', n: 5 },
                list: ['z', 'plain'],
                utcOffset: 0,
                _id: OID,
              },
            ],
          },
        ),
        post('devicestatus', [{ device: '<style>x</style>phone', created_at: isoAt(30), note: '5 < 6' }], { status: 200, body: [{ device: 'phone', created_at: isoAt(30), note: '5 &lt; 6', utcOffset: 0, _id: OID }] }),
      ],
    },
    {
      name: 'broken, non-object and oversized bodies are Express error pages',
      steps: [
        { method: 'POST', path: '/api/v1/entries', as: 'secret', raw: '[{"sgv":', ...html(400) },
        { method: 'POST', path: '/api/v1/treatments', as: 'secret', raw: '"just a string"', ...html(400) },
        post('devicestatus', [{ device: DEVICE, created_at: isoAt(35), blob: 'x'.repeat(1_100_000) }], html(413)),
        post('treatments', [{ eventType: 'Note', created_at: isoAt(35), eventTime: 'garbage' }], html(500)),
      ],
    },
    {
      name: 'GET entries: newest first by date, find[date] in ms, count, a 4-day default window, TSV without .json',
      steps: [
        post('entries', [{ type: 'sgv', sgv: 150, date: RECENT, device: DEVICE }], { status: 200 }),
        get(`/api/v1/entries.json?count=2&find[date][$gt]=${at(0)}&find[date][$lte]=${at(10)}`, [
          { type: 'mbg', mbg: 95, date: at(10), device: DEVICE, utcOffset: 0, sysTime: isoAt(10), _id: OID },
          { ...storedB, _id: OID },
        ], { answerHeaders: { 'last-modified': new Date(at(10)).toUTCString() } }),
        { path: `/api/v1/entries.json?count=2&find[date][$gt]=${at(0)}&find[date][$lte]=${at(10)}`, as: 'secret', headers: { 'if-modified-since': new Date(at(10)).toUTCString() }, status: 304, text: '' },
        get(`/api/v1/entries/sgv.json?count=1&find[date][$lte]=${at(10)}`, [{ ...storedB, _id: OID }]),
        get('/api/v1/entries.json', [{ type: 'sgv', sgv: 150, date: RECENT, device: DEVICE, utcOffset: 0, sysTime: iso(RECENT), _id: OID }]),
        { path: `/api/v1/entries?count=3&find[date][$gt]=${at(-1)}&find[date][$lte]=${at(10)}`, as: 'secret', status: 200, type: 'text/plain', text: `\t${at(10)}\t\t\t"${DEVICE}"\r\n\t${at(5)}\t102\t\t"${DEVICE}"\r\n"${isoAt(0)}"\t${at(0)}\t111\t"Flat"\t"${DEVICE}"` },
      ],
    },
    {
      name: 'POST treatments: created_at to UTC, numbers coerced, empty ones dropped, upsert on created_at + eventType',
      steps: [
        post(
          'treatments',
          [
            { eventType: 'Meal Bolus', created_at: '2024-02-01T14:00:00+01:00', insulin: '2.5', carbs: 0, notes: '', enteredBy: 'gluco-hub' },
            { eventType: 'Temp Basal', created_at: isoAt(65), absolute: 0, duration: 30, percent: 0 },
          ],
          {
            status: 200,
            body: [
              { eventType: 'Meal Bolus', created_at: isoAt(60), insulin: 2.5, enteredBy: 'gluco-hub', utcOffset: 60, _id: OID },
              { eventType: 'Temp Basal', created_at: isoAt(65), absolute: 0, duration: 30, utcOffset: 0, _id: OID },
            ],
          },
        ),
        post('treatments', [{ eventType: 'Meal Bolus', created_at: isoAt(60), insulin: 3 }], { status: 200, body: [{ eventType: 'Meal Bolus', created_at: isoAt(60), insulin: 3, utcOffset: 0 }] }),
        post('treatments', { eventType: 'Announcement', created_at: isoAt(70), notes: 'hello' }, { status: 200, body: [{ eventType: 'Announcement', created_at: isoAt(70), notes: 'hello', utcOffset: 0, isAnnouncement: true, _id: OID }] }),
        post('treatments', { eventType: 'BG Check', created_at: isoAt(75), glucose: 'abc', glucoseType: 'Finger', units: 'mg/dl' }, { status: 200, body: [{ eventType: 'BG Check', created_at: isoAt(75), utcOffset: 0, _id: OID }] }),
        post('treatments', { eventType: 'Note', date: at(80) }, { status: 200, body: [{ eventType: 'Note', date: at(80), created_at: NOW, utcOffset: 0, _id: OID }] }),
        post('treatments', [{ eventType: 'Meal Bolus', created_at: isoAt(85), carbs: 20, preBolus: 15 }], {
          status: 200,
          body: [
            { eventType: 'Meal Bolus', created_at: isoAt(85), preBolus: 15, utcOffset: 0, _id: OID },
            { eventType: 'Meal Bolus', created_at: isoAt(100), carbs: 20, _id: OID },
          ],
        }),
        get(`/api/v1/treatments.json?find[created_at][$gt]=${isoAt(59)}&find[created_at][$lte]=2024-02-01T14:05:00%2B01:00`, [
          { eventType: 'Temp Basal', created_at: isoAt(65), absolute: 0, duration: 30, utcOffset: 0, insulin: null, carbs: null, _id: OID },
          { eventType: 'Meal Bolus', created_at: isoAt(60), insulin: 3, utcOffset: 0, carbs: null, _id: OID },
        ]),
        get(`/api/v1/treatments.json?count=1&find[created_at][$gte]=${isoAt(60)}&find[created_at][$lte]=${isoAt(100)}`, [{ eventType: 'Meal Bolus', created_at: isoAt(100), carbs: 20, insulin: null, _id: OID }]),
      ],
    },
    {
      name: 'treatments dedup in 15.0.7: identifier first, then an ObjectId _id; a UUID _id becomes the identifier',
      steps: [
        post('treatments', [{ eventType: 'Note', created_at: isoAt(110), notes: 'a', identifier: 'v1-note-1' }], { status: 200, body: [{ eventType: 'Note', created_at: isoAt(110), notes: 'a', identifier: 'v1-note-1', utcOffset: 0, _id: OID }] }),
        post('treatments', [{ eventType: 'Note', created_at: isoAt(111), notes: 'b', identifier: 'v1-note-1' }], { status: 200, body: [{ eventType: 'Note', created_at: isoAt(111), notes: 'b', identifier: 'v1-note-1', utcOffset: 0, _id: OID }] }),
        post('treatments', [{ eventType: 'Note', created_at: isoAt(112), notes: 'c', _id: '0123456789abcdef01234567' }], { status: 200, body: [{ eventType: 'Note', created_at: isoAt(112), notes: 'c', utcOffset: 0, _id: OID }] }),
        post('treatments', [{ eventType: 'Note', created_at: isoAt(113), notes: 'd', _id: '0123456789abcdef01234567' }], { status: 200, body: [{ eventType: 'Note', created_at: isoAt(113), notes: 'd', utcOffset: 0, _id: OID }] }),
        post('treatments', [{ eventType: 'Note', created_at: isoAt(114), notes: 'e', _id: 'c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff' }], {
          status: 200,
          body: [{ eventType: 'Note', created_at: isoAt(114), notes: 'e', identifier: 'c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff', utcOffset: 0, _id: OID }],
        }),
        get(`/api/v1/treatments.json?find[created_at][$gte]=${isoAt(110)}&find[created_at][$lte]=${isoAt(114)}`, [
          { eventType: 'Note', created_at: isoAt(114), notes: 'e', identifier: 'c0ffee00-aaaa-4bbb-8ccc-ddddeeeeffff', utcOffset: 0, insulin: null, carbs: null, _id: OID },
          { eventType: 'Note', created_at: isoAt(113), notes: 'd', utcOffset: 0, insulin: null, carbs: null, _id: OID },
          { eventType: 'Note', created_at: isoAt(111), notes: 'b', identifier: 'v1-note-1', utcOffset: 0, insulin: null, carbs: null, _id: OID },
        ]),
      ],
    },
    {
      name: 'POST devicestatus always inserts; a bad _id is a 400 that says why; GET by created_at',
      steps: [
        post('devicestatus', [{ device: DEVICE, created_at: isoAt(120), uploaderBattery: 50 }], { status: 200, body: [{ device: DEVICE, created_at: isoAt(120), uploaderBattery: 50, utcOffset: 0, _id: OID }] }),
        post('devicestatus', [{ device: DEVICE, created_at: isoAt(120), uploaderBattery: 50 }], { status: 200, body: [{ device: DEVICE, created_at: isoAt(120), uploaderBattery: 50, utcOffset: 0, _id: OID }] }),
        post('devicestatus', { device: DEVICE, created_at: '2024-02-01T15:05:00+01:00', pump: { reservoir: 100 } }, { status: 200, body: [{ device: DEVICE, created_at: isoAt(125), pump: { reservoir: 100 }, utcOffset: 60, _id: OID }] }),
        post('devicestatus', [{ device: DEVICE, created_at: isoAt(130), _id: 'not-hex' }], {
          status: 400,
          body: { status: 400, message: 'Invalid _id format', description: 'Must be 24-character hex string or omit for auto-generation. Got: not-hex' },
        }),
        post('devicestatus', [{ device: DEVICE, created_at: isoAt(130), _id: 42 }], {
          status: 400,
          body: { status: 400, message: 'Invalid _id format', description: 'Must be 24-character hex string or omit for auto-generation. Got: 42' },
        }),
        post('devicestatus', [{ device: DEVICE, created_at: isoAt(130), _id: null }], { status: 200, body: [{ device: DEVICE, created_at: isoAt(130), utcOffset: 0, _id: OID }] }),
        post('devicestatus', [{ device: DEVICE, created_at: 'garbage' }], { status: 200, body: [{ device: DEVICE, created_at: NOW, utcOffset: 0, _id: OID }] }),
        get(`/api/v1/devicestatus.json?find[created_at][$gt]=${isoAt(119)}&find[created_at][$lte]=${isoAt(125)}`, [
          { device: DEVICE, created_at: isoAt(125), pump: { reservoir: 100 }, utcOffset: 60, _id: OID },
          { device: DEVICE, created_at: isoAt(120), uploaderBattery: 50, utcOffset: 0, _id: OID },
          { device: DEVICE, created_at: isoAt(120), uploaderBattery: 50, utcOffset: 0, _id: OID },
        ]),
      ],
    },
  ],
};
