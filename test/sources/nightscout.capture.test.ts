import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureOnce } from '../../app/capture.js';
import { configSchema } from '../../lib/config/schema.js';
import { LOOP_TIMING } from '../../sources/nightscout/index.js';
import { MINUTE, NOW, SITE, TOKEN, captureLog, mockJwt, mockVersion, searchV3, serve, v1Entry } from '../fixtures/nightscout-source/harness.js';

const dirs: string[] = [];

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => nock.enableNetConnect());

describe('capture with the Nightscout source', () => {
  it('runs one frame per collection through the real machines: one login, the history window, documents per loop', async () => {
    const jwt = mockJwt();
    mockVersion(true);
    const at = (ms: number) => new Date(ms).toISOString();
    serve('/api/v3/entries', (q) => ({ status: 200, result: searchV3([v1Entry(NOW - 10 * MINUTE, 111), v1Entry(NOW - 5 * MINUTE, 112)], q) }));
    serve('/api/v3/treatments', (q) => ({ status: 200, result: searchV3([{ _id: 't1', eventType: 'Note', notes: 'hi', created_at: at(NOW - 60 * MINUTE) }], q) }));
    serve('/api/v3/devicestatus', (q) => ({ status: 200, result: searchV3([{ _id: 'd1', device: 'loop://iPhone', created_at: at(NOW - 3 * MINUTE), uploaderBattery: 77 }], q) }));
    const stateDir = mkdtempSync(join(tmpdir(), 'nss-capture-'));
    dirs.push(stateDir);
    const config = configSchema.parse({
      stateDir,
      bridges: [{ id: 'follow', source: { kind: 'nightscout', endpoint: SITE, token: TOKEN } }],
    });
    const captured = captureLog();
    const capture = await captureOnce(config, config.bridges[0]!, { log: captured.log, persist: false, now: () => NOW });

    expect(jwt.isDone()).toBe(true);
    const byLoop = Object.fromEntries(capture.loops.map((l) => [l.loop, l]));
    expect(Object.keys(byLoop)).toEqual(['entries', 'treatments', 'devicestatus']);
    for (const loop of capture.loops) expect(loop.result?.outcome, loop.loop).toBe('success');
    expect(byLoop.entries!.window).toEqual({ fromMs: NOW - LOOP_TIMING.entries.historyMs, toMs: NOW });
    expect(byLoop.entries!.batch!.entries.map((e) => e.sgv)).toEqual([111, 112]);
    expect(byLoop.treatments!.batch!.treatments.map((t) => t.notes)).toEqual(['hi']);
    expect(byLoop.devicestatus!.batch!.devicestatus.map((d) => d.uploaderBattery)).toEqual([77]);
    expect(captured.text()).not.toContain(TOKEN);
  });
});
