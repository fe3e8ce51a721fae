import { describe, expect, it } from 'vitest';
import { budgetStatus } from '../../app/fleet/status.js';
import { minuteOf, parseUsageKey, usageKey } from '../../lib/fleet/budget-usage.js';

describe('the per-minute counts of the fleet budgets', () => {
  it('keys round-trip, a host key with colons (IPv6, a port) included; keys of another shape are no count', () => {
    const minute = minuteOf(Date.UTC(2026, 11, 7, 6, 30, 59));
    for (const key of ['api.libreview.io@127.0.0.2', 'share2.dexcom.com@fe80::1', 'localhost:8443', 'alice']) {
      expect(parseUsageKey('gh', usageKey('gh', minute, 'host', 'waited', key))).toEqual({ minute, kind: 'host', field: 'waited', key });
    }
    expect(parseUsageKey('gh', 'gh:alice:~lease')).toBeUndefined();
    expect(parseUsageKey('gh', 'gh:~usage:123:queue:used:x')).toBeUndefined();
    expect(parseUsageKey('gh', 'gh:~usage:123:host:sent:x')).toBeUndefined();
    expect(parseUsageKey('gh', 'gh:~usage:abc:host:used:x')).toBeUndefined();
    expect(parseUsageKey('gh', 'gh:~usage:123:host:used')).toBeUndefined();
  });

  it('status: every host, busiest first; only the bridges and logins that waited; the allowance per kind', () => {
    const status = budgetStatus(
      [
        { kind: 'host', key: 'a@1', used: 10, waited: 0 },
        { kind: 'bridge', key: 'ann', used: 3, waited: 1 },
        { kind: 'bridge', key: 'ben', used: 1, waited: 0 },
      ],
      [
        { kind: 'host', key: 'b@2', used: 30, waited: 4 },
        { kind: 'host', key: 'a@1', used: 2, waited: 0 },
        { kind: 'login', key: 'linkup-x', used: 2, waited: 2 },
      ],
      { lastMinuteMs: 60_000, allowedPerMinute: { host: 60, login: 5 } },
    );
    expect(status.hosts).toEqual([
      { kind: 'host', key: 'b@2', lastMinute: { used: 0, waited: 0 }, thisMinute: { used: 30, waited: 4 }, allowedPerMinute: 60 },
      { kind: 'host', key: 'a@1', lastMinute: { used: 10, waited: 0 }, thisMinute: { used: 2, waited: 0 }, allowedPerMinute: 60 },
    ]);
    expect(status.waiting.map((w) => [w.kind, w.key, w.allowedPerMinute])).toEqual([
      ['bridge', 'ann', undefined],
      ['login', 'linkup-x', 5],
    ]);
    expect(status.counted).toEqual({ bridges: 2, logins: 1 });
  });
});
