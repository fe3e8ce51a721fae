import { describe, expect, it } from 'vitest';
import { AuthError, GlucoHubError } from '../../lib/errors.js';
import { prettyMessage, serializeError } from '../../lib/logger.js';

describe('serializeError', () => {
  it('logs the fix with the code, also through a wrapping error, and no stack for a coded error', () => {
    const inner = new AuthError('NS004', 'unknown token', { hint: 'set CONNECT_API_SECRET instead', cause: new Error('HTTP 401') });
    expect(serializeError(inner)).toEqual({ type: 'AuthError', code: 'NS004', message: '[NS004] unknown token', cause: 'HTTP 401', hint: 'set CONNECT_API_SECRET instead' });
    const wrapper = new GlucoHubError('HUB004', '1 output(s) failed', { cause: inner });
    expect(serializeError(wrapper)).toMatchObject({ code: 'HUB004', cause: '[NS004] unknown token', hint: 'set CONNECT_API_SECRET instead' });
  });

  it('keeps the stack of an unexpected error for the bug report', () => {
    const out = serializeError(new TypeError('x is undefined'));
    expect(out.stack).toContain('TypeError');
    expect(out).not.toHaveProperty('hint');
  });
});

describe('a pretty line', () => {
  it('names the bridge and the loop it is about once, since their fields are hidden', () => {
    expect(prettyMessage({ bridge: 'alice', loop: 'entries', msg: 'entries: 1 new' }, 'msg')).toBe('[alice] entries: 1 new');
    expect(prettyMessage({ bridge: 'alice', loop: 'entries', msg: 'fetched' }, 'msg')).toBe('[alice] entries: fetched');
    expect(prettyMessage({ msg: 'HTTP API on http://127.0.0.1:8080' }, 'msg')).toBe('HTTP API on http://127.0.0.1:8080');
  });
});
