import { FUTURE, NOW, RECENT, RUN_START, iso, type Block, type Step } from './harness.js';

/**
 * A document dated a month ahead (a phone with a wrong clock): the server stores it as sent and it
 * sorts first, in v3 and v1, so "the newest document" is that one until the queries cut off at
 * now, which `date$lte` / `created_at$lte` (v3) and `find[...][$lte]` (v1) do. Runs after the v3
 * search block on the same site, whose documents are from 2024.
 */

const MIN = 60_000;
/** "Now" as gluco-hub would send it in a cut-off. */
const CUTOFF = Math.floor(RUN_START / MIN) * MIN;
const APP = 'gluco-hub';

/** Keeps only `keys` of every document in an array body. */
const only =
  (...keys: string[]) =>
  (body: unknown): unknown =>
    Array.isArray(body) ? body.map((d: Record<string, unknown>) => Object.fromEntries(keys.filter((k) => k in d).map((k) => [k, d[k]]))) : body;

const v3 = (path: string, result: unknown[]): Step => ({ path, as: 'gluco', status: 200, body: { status: 200, result } });
const v1 = (path: string, body: unknown[], ...keys: string[]): Step => ({ path, as: 'secret', status: 200, view: only(...keys), body });
const SINCE_2000 = 'find[created_at][$gte]=2000-01-01T00:00:00.000Z';

export const FUTURE_DATED: Block = {
  name: 'documents dated a month in the future',
  scenarios: [
    {
      name: 'are stored as sent, through v3 and v1',
      steps: [
        {
          method: 'POST',
          path: '/api/v3/entries',
          as: 'gluco',
          send: { identifier: 'future-entry-1', type: 'sgv', sgv: 120, date: FUTURE, device: 'future', app: APP },
          status: 201,
          body: { status: 201, identifier: 'future-entry-1', lastModified: NOW },
        },
        { method: 'POST', path: '/api/v1/entries', as: 'secret', send: [{ type: 'sgv', sgv: 121, date: FUTURE + 5 * MIN, device: 'future' }], status: 200, view: only('date', 'sysTime'), body: [{ date: FUTURE + 5 * MIN, sysTime: iso(FUTURE + 5 * MIN) }] },
        { method: 'POST', path: '/api/v1/entries', as: 'secret', send: [{ type: 'sgv', sgv: 122, date: RECENT, device: 'future' }], status: 200 },
        {
          method: 'POST',
          path: '/api/v3/treatments',
          as: 'gluco',
          send: { identifier: 'future-note-1', eventType: 'Note', date: FUTURE + MIN, device: 'future', app: APP },
          status: 201,
          body: { status: 201, identifier: 'future-note-1', lastModified: NOW },
        },
        { method: 'POST', path: '/api/v1/treatments', as: 'secret', send: [{ eventType: 'Note', created_at: iso(FUTURE) }], status: 200, view: only('created_at'), body: [{ created_at: iso(FUTURE) }] },
        { method: 'POST', path: '/api/v1/devicestatus', as: 'secret', send: [{ device: 'future', created_at: iso(FUTURE) }], status: 200, view: only('created_at'), body: [{ created_at: iso(FUTURE) }] },
        { path: '/api/v3/entries/future-entry-1?fields=date,created_at', as: 'gluco', status: 200, body: { status: 200, result: { date: FUTURE, created_at: iso(FUTURE) } } },
      ],
    },
    {
      name: 'sort first in v3 unless the query cuts off at now with date$lte / created_at$lte',
      steps: [
        v3('/api/v3/entries?sort$desc=date&limit=1&fields=date', [{ date: FUTURE + 5 * MIN }]),
        v3(`/api/v3/entries?sort$desc=date&limit=1&fields=date&date$lte=${CUTOFF}`, [{ date: RECENT }]),
        v3(`/api/v3/entries?sort$desc=date&limit=1&fields=date&date$lte=${iso(CUTOFF)}`, [{ date: RECENT }]),
        v3('/api/v3/treatments?sort$desc=date&limit=1&fields=date', [{ date: FUTURE + MIN }]),
        v3('/api/v3/treatments?sort$desc=created_at&limit=1&fields=created_at', [{ created_at: iso(FUTURE + MIN) }]),
        v3(`/api/v3/treatments?sort$desc=date&limit=1&fields=date&date$lte=${CUTOFF}`, [{ date: 1705322100000 }]),
        v3(`/api/v3/treatments?sort$desc=created_at&limit=1&fields=created_at&created_at$lte=${iso(CUTOFF)}`, [{ created_at: '2024-01-15T12:40:00.000Z' }]),
        v3(`/api/v3/devicestatus?sort$desc=created_at&limit=1&fields=created_at&created_at$lte=${iso(CUTOFF)}`, []),
      ],
    },
    {
      name: 'sort first in v1 (gluco-hub’s newest-document queries) unless find[...][$lte] cuts off at now',
      steps: [
        v1('/api/v1/entries.json?count=1&find[date][$gt]=0', [{ date: FUTURE + 5 * MIN }], 'date'),
        v1(`/api/v1/entries.json?count=1&find[date][$gt]=0&find[date][$lte]=${CUTOFF}`, [{ date: RECENT }], 'date'),
        v1(`/api/v1/treatments.json?count=1&${SINCE_2000}`, [{ created_at: iso(FUTURE + MIN) }], 'created_at'),
        v1(`/api/v1/treatments.json?count=1&${SINCE_2000}&find[created_at][$lte]=${iso(CUTOFF)}`, [{ created_at: '2024-01-15T12:40:00.000Z' }], 'created_at'),
        v1(`/api/v1/devicestatus.json?count=1&${SINCE_2000}`, [{ created_at: iso(FUTURE) }], 'created_at'),
        v1(`/api/v1/devicestatus.json?count=1&${SINCE_2000}&find[created_at][$lte]=${iso(CUTOFF)}`, [], 'created_at'),
      ],
    },
    {
      name: 'fall inside v1’s default 4-day window and inflate v3 lastModified',
      steps: [
        v1('/api/v1/entries.json', [{ date: FUTURE + 5 * MIN }, { date: FUTURE }, { date: RECENT }], 'date'),
        {
          path: '/api/v3/lastModified',
          as: 'gluco',
          status: 200,
          body: { status: 200, result: { srvDate: NOW, collections: { entries: FUTURE + 5 * MIN, treatments: FUTURE + MIN, devicestatus: FUTURE } } },
        },
      ],
    },
  ],
};
