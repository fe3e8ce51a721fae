import { describe, expect, it } from 'vitest';
import { gateOptions, hostWindow, loginKey } from '../../lib/fleet/budget-keys.js';
import { fleetLimits } from '../../lib/fleet/fleet-budget.js';
import { Secret } from '../../lib/secret.js';
import type { SourceSettings } from '../../lib/config/schema.js';

const linkup = (username: string) => ({ kind: 'linkup', username, password: new Secret('pw') }) as unknown as SourceSettings;

describe('fleet budget keys', () => {
  it('turns the per-host rate into whole requests per whole seconds, never above the setting', () => {
    expect(hostWindow(5)).toEqual({ points: 5, seconds: 1 });
    expect(hostWindow(2.5)).toEqual({ points: 2, seconds: 1 });
    expect(hostWindow(0.5)).toEqual({ points: 1, seconds: 2 });
    expect(hostWindow(0.3)).toEqual({ points: 1, seconds: 4 });
    expect(hostWindow(0.1)).toEqual({ points: 1, seconds: 10 });
  });

  it('per bridge and per login only when configured', () => {
    expect(fleetLimits({ requestsPerSecond: 5, concurrency: 8 })).toEqual({ host: { points: 5, seconds: 1 }, perBridge: undefined, perLogin: undefined });
    expect(fleetLimits({ requestsPerSecond: 5, concurrency: 8, perBridge: { requests: 10, seconds: 60 }, perLogin: { requests: 20, seconds: 300 } })).toMatchObject({
      perBridge: { points: 10, seconds: 60 },
      perLogin: { points: 20, seconds: 300 },
    });
  });

  it('a login is its source kind and username (case and spaces aside), hashed: no e-mail in a Redis key', () => {
    const key = loginKey(linkup('Anna@Example.org'));
    expect(key).toMatch(/^linkup-[0-9a-f]{20}$/);
    expect(key).not.toContain('anna');
    expect(loginKey(linkup(' anna@example.org '))).toBe(key);
    expect(loginKey(linkup('ben@example.org'))).not.toBe(key);
    expect(loginKey({ kind: 'dexcomshare', accountName: 'Anna@Example.org' } as unknown as SourceSettings)).not.toBe(key);
    expect(loginKey({ kind: 'simulator' } as unknown as SourceSettings)).toBeUndefined();
    expect(loginKey({ kind: 'minimedcarelink' } as unknown as SourceSettings)).toBeUndefined();
  });

  it('a bridge\'s own egress address wins over the process\'s', () => {
    const fleet = { leaseMs: 30_000, localAddress: '192.0.2.1' };
    expect(gateOptions({ fleet }, { source: linkup('a'), localAddress: '192.0.2.9' }).localAddress).toBe('192.0.2.9');
    expect(gateOptions({ fleet }, { source: linkup('a'), localAddress: undefined }).localAddress).toBe('192.0.2.1');
    expect(gateOptions({ fleet: { leaseMs: 30_000 } }, { source: linkup('a'), localAddress: undefined }).localAddress).toBeUndefined();
  });
});
