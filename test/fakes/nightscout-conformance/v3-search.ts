import { NOW, OID, type Block, type Step } from './harness.js';

/**
 * API v3 search as gluco-hub asks it: the newest document
 * (`sort$desc=date&limit=1&fields=date`), pages by `date`/`created_at`, and the `$lte` cut-offs
 * that ignore future-dated documents. Starts on an empty site.
 */

const MIN = 60_000;
const T0 = 1705320000000; // 2024-01-15T12:00:00Z
const at = (minutes: number): number => T0 + minutes * MIN;
const isoAt = (minutes: number): string => new Date(at(minutes)).toISOString();
const APP = 'gluco-hub';

const post = (collection: string, send: unknown, status: number): Step => ({ method: 'POST', path: `/api/v3/${collection}`, as: 'gluco', send, status });
const search = (query: string, result: unknown[], collection = 'entries'): Step => ({
  path: `/api/v3/${collection}?${query}`,
  as: 'gluco',
  status: 200,
  body: { status: 200, result },
});
const bad = (query: string, message: string): Step => ({ path: `/api/v3/entries?${query}`, as: 'gluco', status: 400, body: { status: 400, message } });
const dates = (...minutes: number[]) => minutes.map((m) => ({ date: at(m) }));
const createdAts = (...minutes: number[]) => minutes.map((m) => ({ created_at: isoAt(m) }));

const sgv = (minutes: number, value: number) => ({ type: 'sgv', sgv: value, date: at(minutes), device: 'search', app: APP });

export const V3_SEARCH: Block = {
  name: 'API v3 search',
  scenarios: [
    {
      name: 'seeding: v3 entries and treatments, and v1 ones without `date`; an mbg at an sgv’s device and time replaces it',
      steps: [
        post('entries', sgv(0, 100), 201),
        post('entries', sgv(5, 101), 201),
        post('entries', { ...sgv(10, 102), date: '2024-01-15T14:10:00+02:00' }, 201),
        post('entries', sgv(15, 103), 201),
        post('entries', sgv(20, 104), 201),
        post('entries', sgv(25, 105), 201),
        // `type` is not part of the identifier: this is a dedup of the 12:15 sgv, which it replaces.
        { ...post('entries', { type: 'mbg', mbg: 99, date: at(15), device: 'search', app: APP }, 200), body: { status: 200, lastModified: NOW, identifier: 'a8110feb-15c6-543a-af9b-befda67034a3', isDeduplication: true } },
        { method: 'POST', path: '/api/v1/entries', as: 'secret', send: [{ type: 'sgv', sgv: 110, date: at(30), device: 'xdrip' }], status: 200 },
        post('treatments', { eventType: 'Note', date: at(30), device: 'search', app: APP }, 201),
        post('treatments', { eventType: 'Temp Basal', date: at(35), device: 'search', app: APP, absolute: 0, duration: 30 }, 201),
        {
          method: 'POST',
          path: '/api/v1/treatments',
          as: 'secret',
          send: [
            { eventType: 'Note', created_at: isoAt(40) },
            { eventType: 'Meal Bolus', created_at: isoAt(-10), carbs: 20 },
          ],
          status: 200,
        },
      ],
    },
    {
      name: 'the newest document: by date, and by created_at for the v1-written ones (missing dates sort last)',
      steps: [
        search('sort$desc=date&limit=1&fields=date', dates(30)),
        search('sort$desc=date&limit=1&fields=date', dates(35), 'treatments'),
        search('sort$desc=date&limit=4&fields=date', [...dates(35, 30), {}, {}], 'treatments'),
        search('sort$desc=created_at&limit=1&fields=created_at', createdAts(40), 'treatments'),
      ],
    },
    {
      name: '$lte cut-offs: date takes ms or any date form, created_at any date form (compared as UTC ISO)',
      steps: [
        search(`sort$desc=date&limit=1&fields=date&date$lte=${at(10)}`, dates(10)),
        search('sort$desc=date&limit=1&fields=date&date$lte=2024-01-15T12:05:00Z', dates(5)),
        search('sort$desc=date&limit=1&fields=date&date$lte=2024-01-15T14:20:00%2B02:00', dates(20)),
        search(`sort$desc=date&limit=1&fields=date&date$lte=${at(10) / 1000}`, dates(10)),
        search(`sort$desc=created_at&limit=1&fields=created_at&created_at$lte=${isoAt(35)}`, createdAts(35), 'treatments'),
        search('sort$desc=created_at&limit=1&fields=created_at&created_at$lte=2024-01-15T14:30:00%2B02:00', createdAts(30), 'treatments'),
        search(`sort$desc=created_at&limit=1&fields=created_at&created_at$lte=${at(30)}`, createdAts(30), 'treatments'),
        search(`sort$desc=date&limit=1&fields=date&date$lte=${at(-1)}`, []),
      ],
    },
    {
      // Steps 1 and 3 are the shapes of the Nightscout source's v3 pages (sources/nightscout/queries.ts, v3Page).
      name: 'two conditions on one field: only the last in the query string counts (the filter is an object keyed by field)',
      steps: [
        search(`date$gt=${at(5)}&date$lte=${at(20)}&sort=date&limit=10&fields=date`, dates(0, 5, 10, 15, 20)),
        search(`date$lte=${at(20)}&date$gt=${at(5)}&sort=date&limit=10&fields=date`, dates(10, 15, 20, 25, 30)),
        search(`date$gte=${at(10)}&date$lte=${at(20)}&sort=date&limit=2&skip=1&fields=date`, dates(5, 10)),
        search(`created_at$gt=${isoAt(30)}&created_at$lte=${isoAt(35)}&sort=created_at&limit=10&fields=created_at`, createdAts(-10, 30, 35), 'treatments'),
        search(`type=sgv&date$gt=${at(20)}&sort=date&fields=date`, dates(25, 30)),
      ],
    },
    {
      name: 'sort, limit, skip, fields and the other operators',
      steps: [
        search('sort=date&limit=2&skip=1&fields=date', dates(5, 10)),
        search('type=sgv&sort$desc=date&limit=3&fields=date,type', [...dates(30, 25, 20).map((d) => ({ ...d, type: 'sgv' }))]),
        search('type$in=mbg|cal&fields=date,type', [{ date: at(15), type: 'mbg' }]),
        search('type$ne=sgv&fields=mbg', [{ mbg: 99 }]),
        search('sgv$gte=104&sort=date&fields=sgv', [{ sgv: 104 }, { sgv: 105 }, { sgv: 110 }]),
        search('device$re=^xd&fields=device,sgv', [{ device: 'xdrip', sgv: 110 }]),
        search('count=1&fields=date', []),
        search('isValid=false&sort=date&limit=1&fields=date', dates(0)),
        search(`date=${at(25)}&fields=identifier,utcOffset`, [{ identifier: 'f7f72419-32e4-5bbf-ba25-c3af7e1057e0', utcOffset: 0 }]),
        search(`date=${at(10)}&fields=utcOffset,created_at`, [{ utcOffset: 120, created_at: isoAt(10) }]),
      ],
    },
    {
      name: 'a v1-written document through v3: identifier = its _id, srvModified/srvCreated from its date',
      steps: [
        search('device=xdrip', [{ type: 'sgv', sgv: 110, date: at(30), device: 'xdrip', utcOffset: 0, sysTime: isoAt(30), identifier: OID, srvModified: at(30), srvCreated: at(30) }]),
        search(`created_at=${isoAt(40)}&fields=identifier,srvModified,eventType`, [{ identifier: OID, srvModified: at(40), eventType: 'Note' }], 'treatments'),
      ],
    },
    {
      name: 'bad parameters are 400s with the server’s messages',
      steps: [
        bad('limit=0', 'Parameter limit out of tolerance'),
        bad('limit=abc', 'Parameter limit out of tolerance'),
        bad('limit=1001', 'Parameter limit out of tolerance'),
        bad('skip=-1', 'Parameter skip out of tolerance'),
        bad('sort=date&sort$desc=date', 'Parameters sort and sort_desc cannot be combined'),
        bad('date$foo=1', 'Unsupported filter operator foo'),
        bad('date$where=1', 'Unsupported filter operator where'),
      ],
    },
  ],
};
