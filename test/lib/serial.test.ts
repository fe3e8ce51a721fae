import { describe, expect, it } from 'vitest';
import { serial } from '../../lib/serial.js';

describe('serial', () => {
  it('starts each task only after the one before has settled, and a failure reaches only its own caller', async () => {
    const s = serial();
    const order: string[] = [];
    let release: () => void = () => undefined;
    const first = s.run(() => new Promise<string>((resolve) => (release = () => resolve('a'))).then((v) => (order.push('a done'), v)));
    const second = s.run(() => {
      order.push('b started');
      return Promise.reject(new Error('b failed'));
    });
    const third = s.run(() => {
      order.push('c started');
      return Promise.resolve('c');
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    release();
    await expect(first).resolves.toBe('a');
    await expect(second).rejects.toThrow('b failed');
    await expect(third).resolves.toBe('c');
    expect(order).toEqual(['a done', 'b started', 'c started']);
  });

  it('turns a synchronous throw into a rejection, and idle() settles after every queued task without rejecting', async () => {
    const s = serial();
    const thrown = s.run(() => {
      throw new Error('sync');
    });
    let last = false;
    void s.run(async () => {
      await Promise.resolve();
      last = true;
    });
    await expect(thrown).rejects.toThrow('sync');
    await expect(s.idle()).resolves.toBeUndefined();
    expect(last).toBe(true);
  });
});
