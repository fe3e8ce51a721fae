import { describe, expect, it } from 'vitest';
import { printableConfig } from '../../lib/config/printable.js';
import { configLoader } from './config-harness.js';

const { load } = configLoader('gh-printable-');

describe('printableConfig', () => {
  it('drops the simulator failAuth switch and keeps every other setting', () => {
    const config = load({ CONNECT_SIMULATOR_FAIL_AUTH: 'true' });
    expect(config.bridges[0]?.source).toMatchObject({ failAuth: true });
    const shown = JSON.parse(JSON.stringify(printableConfig(config))) as { bridges: { source: Record<string, unknown>; filesystem: unknown }[]; http: unknown };
    expect(shown.bridges[0]?.source).toEqual({ kind: 'simulator', intervalSeconds: 300, seed: 1 });
    expect(shown.bridges[0]?.filesystem).toEqual(JSON.parse(JSON.stringify(config.bridges[0]?.filesystem)));
    expect(shown.http).toEqual(JSON.parse(JSON.stringify(config.http)));
  });

  it('masks secrets as before', () => {
    const config = load({ CONNECT_SOURCE: 'linkup', CONNECT_LINK_UP_USERNAME: 'me@example.com', CONNECT_LINK_UP_PASSWORD: 'pw-canary-19' });
    const text = JSON.stringify(printableConfig(config));
    expect(text).not.toContain('pw-canary-19');
    expect(text).toContain('"password":"***"');
  });
});
