import { describe, expect, it, vi } from 'vitest';

// Which CareLink modules were evaluated: `forever` and `capture` must not pay for the login code.
const evaluated = vi.hoisted(() => new Set<string>());
vi.mock('../../sources/carelink/login.js', async (importOriginal) => {
  evaluated.add('carelink/login');
  return importOriginal();
});
vi.mock('../../sources/carelink/pkce.js', async (importOriginal) => {
  evaluated.add('carelink/pkce');
  return importOriginal();
});

describe('the CLI at start-up', () => {
  it('does not load the CareLink login code until `login` runs (a quarter second of CPU for every other command)', async () => {
    await import('../../commands/cli.js');
    expect([...evaluated]).toEqual([]);
    await import('../../commands/login-run.js');
    expect([...evaluated].sort()).toEqual(['carelink/login', 'carelink/pkce']);
  });
});
