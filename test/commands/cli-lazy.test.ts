import { describe, expect, it, vi } from 'vitest';

// Which modules were evaluated: `forever` and `capture` must not pay for the login code, nor for export's and report's.
const evaluated = vi.hoisted(() => new Set<string>());
vi.mock('../../sources/carelink/login.js', async (importOriginal) => {
  evaluated.add('carelink/login');
  return importOriginal();
});
vi.mock('../../sources/carelink/pkce.js', async (importOriginal) => {
  evaluated.add('carelink/pkce');
  return importOriginal();
});
vi.mock('../../commands/export-run.js', async (importOriginal) => {
  evaluated.add('export-run');
  return importOriginal();
});
vi.mock('../../commands/export-format.js', async (importOriginal) => {
  evaluated.add('export-format');
  return importOriginal();
});
vi.mock('../../commands/report-run.js', async (importOriginal) => {
  evaluated.add('report-run');
  return importOriginal();
});
vi.mock('../../commands/report-print.js', async (importOriginal) => {
  evaluated.add('report-print');
  return importOriginal();
});
vi.mock('../../outputs/filesystem/read.js', async (importOriginal) => {
  evaluated.add('filesystem/read');
  return importOriginal();
});
vi.mock('../../commands/fleet-run.js', async (importOriginal) => {
  evaluated.add('fleet-run');
  return importOriginal();
});
vi.mock('../../lib/glucose-metrics.js', async (importOriginal) => {
  evaluated.add('glucose-metrics');
  return importOriginal();
});

describe('the CLI at start-up', () => {

  it('does not load the CareLink login code until `login` runs (a quarter second of CPU for every other command)', async () => {
    await import('../../commands/cli.js');
    expect([...evaluated]).toEqual([]);
    await import('../../commands/login-run.js');
    expect([...evaluated].sort()).toEqual(['carelink/login', 'carelink/pkce']);
  });

  it('does not load what export and report read and compute until they run', async () => {
    await import('../../commands/cli.js');
    expect([...evaluated].filter((m) => !m.startsWith('carelink/'))).toEqual([]);
    await import('../../commands/export-run.js');
    await import('../../commands/report-run.js');
    await import('../../commands/report-print.js');
    expect([...evaluated].filter((m) => !m.startsWith('carelink/')).sort()).toEqual(['export-format', 'export-run', 'filesystem/read', 'glucose-metrics', 'report-print', 'report-run']);
  });

  it('does not load fleet status (its Redis reads and table) until it runs', async () => {
    await import('../../commands/cli.js');
    expect(evaluated.has('fleet-run')).toBe(false);
    await import('../../commands/fleet-run.js');
    expect(evaluated.has('fleet-run')).toBe(true);
  });
});
