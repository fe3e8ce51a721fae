import { describe, expect, it } from 'vitest';
import { syncIdentifier, uuidV5 } from '../../lib/identity.js';
import { MGDL_PER_MMOL, toMgdl, toMmol } from '../../lib/units.js';

describe('sync identity', () => {
  it('equals the identifier Nightscout v3 computes for a treatment', () => {
    expect(syncIdentifier({ device: 'Samsung XCover 4-861536030196001', date: 1613057404186, eventType: 'Correction Bolus' })).toBe(
      '5b0f7124-475f-5db0-824c-a73c5eea0975',
    );
  });

  it('equals the identifier Nightscout v3 computes for an entry', () => {
    expect(syncIdentifier({ device: 'dexcom', date: 1405763055000 })).toBe('21597b61-91f1-5f0a-9d1c-8b46dbc2e48f');
  });

  it('is a version 5, RFC 4122 variant UUID', () => {
    expect(uuidV5('anything')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('ignores an empty eventType, as the server does', () => {
    expect(syncIdentifier({ device: 'dexcom', date: 1405763055000, eventType: '' })).toBe('21597b61-91f1-5f0a-9d1c-8b46dbc2e48f');
  });
});

describe('units', () => {
  it('converts mg/dL to mmol/L with one decimal', () => {
    expect(toMmol(100)).toBe(5.5);
    expect(toMmol(180)).toBe(10);
    expect(toMmol(39)).toBe(2.2);
  });

  it('converts mmol/L to whole mg/dL', () => {
    expect(toMgdl(5.5)).toBe(99);
    expect(toMgdl(10)).toBe(180);
    expect(MGDL_PER_MMOL).toBe(18.0182);
  });
});
