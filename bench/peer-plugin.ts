/**
 * The `peer` benchmark's plugin half: what a Nightscout site pays in RSS for its connector, the
 * real server (cgm-remote-monitor 15.0.7) with `connect` in ENABLE minus the same install without
 * it, for the stock nightscout-connect 0.0.12 and for gluco-hub installed in its place (this
 * checkout, `homeWithConnect`). Nightscout requires the connector at boot either way, so the "off"
 * site already holds its code; the difference is what running it costs. Needs
 * GLUCO_HUB_REAL_NIGHTSCOUT (see test/fakes/real-nightscout.ts); skipped with a line otherwise.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../test/e2e/cli.js';
import type { FakeLibreLinkUp } from '../test/fakes/llu-server.js';
import { homeWithConnect, REAL_NIGHTSCOUT, startRealNightscout, type RealNightscout } from '../test/fakes/real-nightscout.js';
import { startLluFront, type LluFront } from './llu-front.js';
import { PEER_VERSION, type SelfSigned } from './peer-install.js';
import { rssBytes, sleep } from './proc.js';
import { mb, type Row } from './report.js';

const SAMPLE_MS = 2_000;
const ENABLE = 'careportal api';

interface Site {
  name: string;
  ns: RealNightscout;
  front?: LluFront;
  /** Index of the "connect off" site it is compared with. */
  baseline?: number;
  rss: number[];
}

export interface PluginResult {
  rows: Row[];
  sites: { name: string; rssMb: number; peakMb: number; vendorRequests?: number; entries: number }[];
}

export async function pluginMode(llu: FakeLibreLinkUp, tls: SelfSigned, seconds: number, seedEntry: Record<string, unknown>): Promise<PluginResult | undefined> {
  if (!REAL_NIGHTSCOUT) {
    console.log('plugin mode skipped: set GLUCO_HUB_REAL_NIGHTSCOUT to ../shared/real-nightscout (after its setup.sh) to measure it');
    return undefined;
  }
  const hubHome = homeWithConnect(ROOT);
  const stateDir = mkdtempSync(join(tmpdir(), 'gh-bench-plugin-state-'));
  const credentials = { CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: llu.scenario.email, CONNECT_LINK_UP_PASSWORD: llu.scenario.password, NODE_EXTRA_CA_CERTS: tls.certFile };
  const peerFront = await startLluFront(llu, tls);
  const hubFront = await startLluFront(llu, tls);
  const sites: Site[] = [];
  try {
    const started = await Promise.allSettled([
      startRealNightscout({ enable: ENABLE }),
      startRealNightscout({ enable: `${ENABLE} connect`, extraEnv: { ...credentials, CONNECT_LINK_UP_SERVER: peerFront.hostPort } }),
      startRealNightscout({ enable: ENABLE, home: hubHome }),
      startRealNightscout({ enable: `${ENABLE} connect`, home: hubHome, extraEnv: { ...credentials, CONNECT_LINK_UP_SERVER: hubFront.url, GLUCO_HUB__STATE_DIR: stateDir } }),
    ]);
    const names = [
      `Nightscout 15.0.7, connect off (stock ${PEER_VERSION} installed)`,
      `Nightscout 15.0.7 + nightscout-connect ${PEER_VERSION} (ENABLE=connect)`,
      'Nightscout 15.0.7, connect off (gluco-hub installed)',
      'Nightscout 15.0.7 + gluco-hub plugin (ENABLE=connect)',
    ];
    const fronts = [undefined, peerFront, undefined, hubFront];
    const baselines = [undefined, 0, undefined, 2];
    started.forEach((r, i) => {
      if (r.status === 'fulfilled') sites.push({ name: names[i]!, ns: r.value, front: fronts[i], baseline: baselines[i], rss: [] });
    });
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw new Error(`a real Nightscout did not start: ${String(failed.reason)}`);
    // 0.0.12 keeps nothing on a site without readings (see peer.ts); every site gets the same one.
    await Promise.all(sites.map((s) => s.ns.post('/api/v1/entries.json', [seedEntry])));
    const since = Date.now();
    while (Date.now() - since < seconds * 1000) {
      await sleep(SAMPLE_MS);
      for (const s of sites) s.rss.push(rssBytes(s.ns.pid) ?? 0);
    }
    const measured = await Promise.all(
      sites.map(async (s) => ({
        name: s.name,
        rssMb: mb(s.rss.at(-1) ?? 0),
        peakMb: mb(Math.max(...s.rss)),
        ...(s.front ? { vendorRequests: s.front.requests() } : {}),
        entries: (await s.ns.entries()).filter((e) => e.device !== seedEntry.device).length,
      })),
    );
    const rows = measured.map((m, i): Row => {
      const base = sites[i]!.baseline;
      return {
        site: m.name,
        RSS: `${m.rssMb.toFixed(1)} MB`,
        peak: `${m.peakMb.toFixed(1)} MB`,
        'ENABLE=connect costs': base === undefined ? '' : `${(m.rssMb - measured[base]!.rssMb).toFixed(1)} MB`,
        // What swapping the connector changes for a site that has never used it.
        'vs stock site, connect off': i === 0 ? '' : `${(m.rssMb - measured[0]!.rssMb).toFixed(1)} MB`,
        'vendor requests': m.vendorRequests ?? '',
        entries: base === undefined ? '' : m.entries,
      };
    });
    return { rows, sites: measured };
  } finally {
    await Promise.all(sites.map((s) => s.ns.close()));
    await peerFront.close();
    await hubFront.close();
  }
}
