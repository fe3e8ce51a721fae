import * as promClient from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../outputs/http/metrics/index.js';
import { has, parseMetrics } from './http.metrics-text.js';

vi.mock('prom-client', async (importOriginal) => {
  const actual = await importOriginal<typeof import('prom-client')>();
  return { ...actual, collectDefaultMetrics: vi.fn(actual.collectDefaultMetrics) };
});

describe('metrics between frames', () => {
  it('samples event-loop delay at most once a second (prom-client defaults to 100 times), keeping the lag metrics', async () => {
    const metrics = createMetrics({ bridges: [], now: () => 0, version: '1.2.3', gitSha: 'abc1234' });
    const options = vi.mocked(promClient.collectDefaultMetrics).mock.calls.at(-1)?.[0];
    expect(options?.eventLoopMonitoringPrecision).toBeGreaterThanOrEqual(1_000);
    const samples = parseMetrics(await metrics.render());
    expect(has(samples, 'gluco_hub_nodejs_eventloop_lag_seconds')).toBe(true);
    expect(has(samples, 'gluco_hub_nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });
});
