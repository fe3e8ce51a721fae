import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../lib/secret.js';

describe('Secret', () => {
  const canary = 'canary-Pa55w0rd-7731';
  const s = new Secret(canary);

  it('hands out its value only through reveal()', () => {
    expect(s.reveal()).toBe(canary);
  });

  it('masks itself in strings, JSON and util.inspect', () => {
    expect(String(s)).not.toContain(canary);
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the leak being tested is exactly this interpolation
    expect(`${s}`).not.toContain(canary);
    expect(JSON.stringify({ password: s })).toBe('{"password":"***"}');
    expect(inspect({ nested: { password: s } }, { depth: 5 })).not.toContain(canary);
    expect(inspect(s, { showHidden: true })).not.toContain(canary);
  });
});
