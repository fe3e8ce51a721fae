import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../outputs/http/metrics/index.js';
import type { BridgeEvent } from '../../lib/contracts/bridge-events.js';
import { DEFAULT_TARGET_HIGH, DEFAULT_TARGET_LOW, URGENT_LOW } from '../../lib/target-range.js';
import { batchOf, MIN, T0 } from '../machines/fakes.js';
import { parseMetrics, type Sample } from '../outputs/http.metrics-text.js';

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { thresholds?: { steps: { value: number | null }[] } } };
}
interface Dashboard {
  schemaVersion: number;
  __inputs: { name: string; pluginId: string }[];
  templating: { list: { definition?: string }[] };
  panels: Panel[];
}

const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const queries = [
  ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' }))),
  ...dashboard.templating.list.map((v) => ({ panel: 'variables', expr: v.definition ?? '' })),
];

/** Every series the hub can show: one bridge through a whole frame, so the gauges that wait for data appear too. */
async function everySample(): Promise<Sample[]> {
  let now = T0;
  const metrics = createMetrics({
    bridges: [{ id: 'home', source: 'linkup', outputs: ['nightscout'], loops: [{ name: 'entries', expectedIntervalMs: 5 * MIN }] }],
    now: () => now,
    version: '1.0.0',
    gitSha: 'abc',
    glucose: true,
  });
  const batch = batchOf([T0 - MIN]);
  batch.entries[0]!.direction = 'Flat';
  // A source that tells the sensor's end (lib/sensor-expiry.ts), so that gauge appears too.
  batch.treatments.push({ date: T0 - 2 * MIN, device: 'librelinkup', identifier: '00000000-0000-5000-8000-00000000aaaa', eventType: 'Sensor Start', created_at: new Date(T0 - 2 * MIN).toISOString(), sensorExpiresAt: new Date(T0 + 24 * 60 * MIN).toISOString() });
  const events: BridgeEvent[] = [
    { type: 'session.established', bridgeId: 'home' },
    { type: 'frame.transformed', bridgeId: 'home', loop: 'entries', batch },
    { type: 'frame.stored', bridgeId: 'home', loop: 'entries', output: 'nightscout', result: { stored: 1, duplicates: 0 } },
    { type: 'frame.done', bridgeId: 'home', loop: 'entries', result: { outcome: 'success', fetched: 1 }, nextInMs: MIN },
  ];
  events.forEach((e) => metrics.observe(e));
  now += MIN;
  return parseMetrics(await metrics.render());
}

describe('docs/grafana-dashboard.json', () => {
  it('is an importable dashboard with a Prometheus datasource input used by every panel', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    expect(panels.length).toBeGreaterThanOrEqual(10);
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe('${DS_PROMETHEUS}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(t.datasource?.uid, p.title).toBe('${DS_PROMETHEUS}');
    }
  });

  it('shades the target range (lib/target-range.ts) behind glucose, and colours the value by it', () => {
    const glucose = panels.filter((p) => (p.targets ?? []).some((t) => t.expr?.startsWith('gluco_hub_glucose_mgdl')));
    expect(glucose.map((p) => p.type).sort()).toEqual(['stat', 'timeseries']);
    const band = glucose.find((p) => p.type === 'timeseries')?.fieldConfig?.defaults?.thresholds?.steps.map((step) => step.value);
    expect(band).toEqual([null, DEFAULT_TARGET_LOW, DEFAULT_TARGET_HIGH]);
    const now = glucose.find((p) => p.type === 'stat')?.fieldConfig?.defaults?.thresholds?.steps.map((step) => step.value);
    expect(now).toEqual([null, URGENT_LOW, DEFAULT_TARGET_LOW, DEFAULT_TARGET_HIGH + 1, 251]);
  });

  it('colours the reading age at 5, 10 and 15 minutes', () => {
    const age = panels.filter((p) => (p.targets ?? []).some((t) => t.expr?.startsWith('gluco_hub_reading_age_seconds')));
    expect(age.map((p) => p.type).sort()).toEqual(['stat', 'timeseries']);
    for (const p of age) {
      const steps = p.fieldConfig?.defaults?.thresholds?.steps ?? [];
      expect(steps.map((step) => step.value), p.title).toEqual([null, 300, 600, 900]);
    }
  });

  it('queries only series createMetrics renders, grouped by labels they carry', async () => {
    const samples = await everySample();
    const labelsOf = new Map<string, Set<string>>();
    for (const s of samples) {
      const set = labelsOf.get(s.name) ?? new Set<string>();
      Object.keys(s.labels).forEach((l) => set.add(l));
      labelsOf.set(s.name, set);
    }
    const used = new Set<string>();
    for (const { panel, expr } of queries) {
      const names = expr.match(/gluco_hub_[a-zA-Z0-9_]+/g) ?? [];
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        used.add(name);
        expect(labelsOf.has(name), `${panel}: ${name} is not rendered`).toBe(true);
        // Prometheus adds `instance` and `job` at scrape time; histogram buckets carry `le`.
        const carried = new Set([...(labelsOf.get(name) ?? []), 'instance', 'job']);
        const grouped = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));
        const selected = [...expr.matchAll(/(\w+)=~?"/g)].map((m) => m[1]!);
        for (const label of [...grouped, ...selected]) expect(carried.has(label), `${panel}: ${name} has no label ${label}`).toBe(true);
      }
    }
    // the panels the issue asks for
    for (const name of [
      'gluco_hub_reading_age_seconds',
      'gluco_hub_fetches_total',
      'gluco_hub_fetch_duration_seconds_bucket',
      'gluco_hub_output_pushes_total',
      'gluco_hub_dead_letter_documents',
      'gluco_hub_delivery_delay_seconds_bucket',
      'gluco_hub_session_state',
      'gluco_hub_readings_received_total',
      'gluco_hub_process_resident_memory_bytes',
      'gluco_hub_process_cpu_seconds_total',
      'gluco_hub_glucose_mgdl',
      'gluco_hub_glucose_trend',
      'gluco_hub_glucose_timestamp_seconds',
      'gluco_hub_sensor_expiry_timestamp_seconds',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
  });
});
