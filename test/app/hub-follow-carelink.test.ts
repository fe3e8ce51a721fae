import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../lib/config/schema.js';
import { Hub } from '../../app/hub.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import { createStateStore } from '../../lib/state-store.js';
import { STATE_KEYS } from '../../sources/carelink/persisted.js';
import { tempDir } from '../e2e/cli.js';
import { captureLog } from '../fakes/capture-log.js';
import { startFakeCareLink, type FakeCareLink } from '../fakes/carelink-server.js';
import { savedLogin } from '../fixtures/carelink/harness.js';

let fake: FakeCareLink | undefined;
let hub: Hub | undefined;
afterEach(async () => {
  await hub?.stop();
  await fake?.close();
  hub = fake = undefined;
});

const FOLLOW_MS = 400;
const DISPLAY = '/connect/carepartner/v13/display/message';

describe('a CareLink care partner that follows several patients, in one hub', () => {
  it('shares the one saved login (one refresh, one discovery, one route), reads each patient with their own display/message, and follows links as they come and go', async () => {
    fake = await startFakeCareLink({ patients: ['pt_anna01', 'pt_ben002'], family: 'BLE_MINIMED' });
    const cwd = tempDir('gh-follow-cl-');
    const config = configSchema.parse({
      stateDir: join(cwd, 'state'),
      vendorBudget: { requestsPerSecond: 50, concurrency: 4 },
      bridges: [
        {
          id: 'kids',
          source: { kind: 'minimedcarelink', server: fake.url, countryCode: 'gb', patientUsername: 'all', intervalSeconds: 300, minIntervalSeconds: 60 },
          filesystem: { dir: join(cwd, 'data') },
        },
      ],
    });
    const captured = captureLog();
    // The account's login, as `gluco-hub login carelink` leaves it; its access token has run out.
    await createStateStore(join(cwd, 'state', 'kids'), captured.log).write(STATE_KEYS.login, savedLogin({ refreshToken: fake.mintRefreshToken(), expiresAt: Date.now() - 1_000, savedAt: Date.now() - 60_000 }));
    const done: Extract<BridgeEvent, { type: 'frame.done' }>[] = [];
    hub = new Hub({ log: captured.log, followIntervalMs: FOLLOW_MS, observe: (e) => e.type === 'frame.done' && done.push(e) });
    const succeeded = (): string[] => [...new Set(done.filter((e) => e.result.outcome === 'success').map((e) => e.bridgeId))].sort();
    const calls = (path: string): { status: number; body: unknown }[] => fake!.requests.filter((r) => r.path === path);
    const displayFor = (patient: string): number => calls(DISPLAY).filter((r) => (JSON.parse(String(r.body)) as { patientId?: string }).patientId === patient).length;
    const info = (pattern: RegExp): Record<string, unknown>[] => captured.lines().filter((l) => l.level === 30 && pattern.test(String(l.msg)));

    await hub.start(config);
    await vi.waitFor(() => expect(succeeded()).toEqual(['kids-ptanna01', 'kids-ptben002']), { timeout: 10_000, interval: 50 });
    expect(info(/^following Pat pt_anna01 as bridge kids-ptanna01$/)).toHaveLength(1);

    fake.setPatients(['pt_anna01', 'pt_ben002', 'pt_carl03']);
    await vi.waitFor(() => expect(succeeded()).toContain('kids-ptcarl03'), { timeout: 10_000, interval: 50 });
    fake.setPatients(['pt_anna01', 'pt_carl03']);
    await vi.waitFor(() => expect(info(/retiring bridge kids-ptben002/)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const benReads = displayFor('pt_ben002');
    const links = calls('/patient/m2m/links/patients').length;
    await vi.waitFor(() => expect(calls('/patient/m2m/links/patients').length).toBeGreaterThanOrEqual(links + 2), { timeout: 10_000, interval: 50 });
    expect(displayFor('pt_ben002')).toBe(benReads);

    // One login for everyone: one refresh (the saved access token had run out), one discovery, one
    // users/me and one route check; then each patient's data once per frame of theirs.
    expect(fake.counters.refreshes).toBe(1);
    expect(fake.counters.unauthorized).toBe(0);
    expect(calls('/connect/carepartner/v13/discover/android/3.6')).toHaveLength(1);
    expect(calls('/patient/users/me')).toHaveLength(1);
    expect(calls('/patient/monitor/data')).toHaveLength(1);
    for (const [patient, bridge] of [['pt_anna01', 'kids-ptanna01'], ['pt_ben002', 'kids-ptben002'], ['pt_carl03', 'kids-ptcarl03']] as const) {
      expect(displayFor(patient)).toBe(done.filter((e) => e.bridgeId === bridge).length);
      expect(existsSync(join(cwd, 'data', bridge.slice('kids-'.length), 'entries'))).toBe(true);
    }
  });
});
