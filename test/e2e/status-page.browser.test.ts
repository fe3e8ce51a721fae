import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderStatusPage } from '../../outputs/http/page.js';
import { formatGlucose, trendOf } from '../../outputs/http/page-format.js';
import { dayOfReadings, healthyBridge, snapshot, troubledBridge } from '../fakes/status-data.js';

/**
 * The status page in a real browser: Debian's Chromium, headless, driven by playwright-core.
 * `.ci/run` installs Chromium; without it (a developer machine) this suite is skipped.
 */

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`status page browser test skipped: ${CHROMIUM} is missing — install it with: apt-get install chromium`);

/** A served status page and what it should show. */
interface ServedPage {
  url: string;
  /** The value and arrow text the page must show. */
  expected: { value: string; arrow: string };
  stop: () => Promise<void>;
}

/**
 * Where the page comes from. For now a tiny `node:http` server rendering synthetic data; to test
 * the real CLI instead, start it on the simulator here and return its `GET /` URL.
 */
async function servePage(): Promise<ServedPage> {
  const readings = dayOfReadings(Date.now());
  const latest = readings[0]!;
  const server = createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    const nowMs = Date.now();
    const html = renderStatusPage({
      snapshot: snapshot([healthyBridge(nowMs), troubledBridge(nowMs)], nowMs),
      readings,
      units: 'mg/dL',
    });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    expected: { value: formatGlucose(latest.sgv, 'mg/dL'), arrow: trendOf(latest.direction).glyph },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!haveChromium)('status page in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-page-'));
  let browser: BrowserContext;
  let served: ServedPage;

  beforeAll(async () => {
    served = await servePage();
    // A fresh profile (--user-data-dir) in the test's temp dir: playwright passes it for a persistent context.
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      deviceScaleFactor: 2,
      // This machine's closed network refuses Chromium's background connections; keep it quiet.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    console.log(`status page screenshots in ${dir}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
  });

  async function open(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark'): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme });
    await page.goto(served.url, { waitUntil: 'load' });
    return page;
  }

  /** The document's width against the viewport's (a string: the test tsconfig has no DOM types). */
  const pageWidths = (page: Page): Promise<{ scroll: number; viewport: number }> =>
    page.evaluate<{ scroll: number; viewport: number }>('({ scroll: document.documentElement.scrollWidth, viewport: window.innerWidth })');

  it('shows the value, the arrow and a chart with points, and fits a phone without horizontal scroll', async () => {
    const page = await open({ width: 390, height: 844 }, 'dark');
    expect((await page.getByTestId('value').textContent())?.trim()).toBe(served.expected.value);
    expect((await page.getByTestId('arrow').textContent())?.trim()).toBe(served.expected.arrow);
    expect(await page.getByTestId('age').textContent()).toMatch(/min ago|just now/);
    expect(await page.getByTestId('chart').locator('circle[data-testid="point"]').count()).toBeGreaterThan(100);
    await expect.poll(() => page.getByTestId('value').isVisible()).toBe(true);

    const widths = await pageWidths(page);
    expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);

    // The value must be big on a phone: at least 64 CSS px tall.
    const box = await page.getByTestId('value').boundingBox();
    expect(box?.height ?? 0).toBeGreaterThanOrEqual(64);

    await page.screenshot({ path: join(dir, 'status-page.png'), fullPage: true });
    await page.close();
  }, 30_000);

  it('lays out on a desktop and in the light theme', async () => {
    const page = await open({ width: 1280, height: 800 }, 'light');
    expect(await page.getByTestId('health').locator('[data-testid="health-row"]').count()).toBe(8);
    const widths = await pageWidths(page);
    expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
    await page.screenshot({ path: join(dir, 'status-page-desktop.png'), fullPage: true });
    await page.close();
  }, 30_000);
});
