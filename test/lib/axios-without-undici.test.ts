import { describe, expect, it } from 'vitest';

/** The globals axios probes at import, as Node defines them (lazy getters until undici loads). */
const PROBED = ['FormData', 'Request', 'Response'] as const;
const descriptors = () => PROBED.map((name) => Object.getOwnPropertyDescriptor(globalThis, name));

describe('axios without undici', () => {
  it('puts back the globals it hid, exactly as they were, and gives a working axios', async () => {
    const before = descriptors();
    const { axios } = await import('../../lib/axios-without-undici.js');
    expect(descriptors()).toEqual(before);
    expect(typeof FormData).toBe('function');
    expect(typeof axios.create).toBe('function');
  });
});
