import { describe, expect, it } from 'vitest';
import { closest, editDistance, usageMessage } from '../../commands/usage.js';

describe('editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('htpp', 'http')).toBe(1);
    expect(editDistance('jsn', 'json')).toBe(1);
    expect(editDistance('bogus', 'out')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});

describe('closest', () => {
  it('reaches one edit per three letters, no further', () => {
    expect(closest('htpp', ['config', 'http', 'data-dir'])).toBe('http');
    expect(closest('bogus', ['json', 'out', 'persist'])).toBeUndefined();
    expect(closest('stat-dir', ['state-dir', 'source'])).toBe('state-dir');
  });
});

describe('usageMessage', () => {
  const forever = ['help', 'version', 'config', 'source', 'log-level', 'log-format', 'state-dir', 'data-dir', 'simulator-interval', 'http'];

  it('suggests the option a mistyped one was meant to be', () => {
    expect(usageMessage('Unknown argument: htpp', ['forever', '--htpp', '1'], forever)).toBe('Unknown argument: htpp. Did you mean --http?');
    expect(usageMessage('Unknown arguments: htpp, dta-dir', [], forever)).toBe('Unknown arguments: htpp, dta-dir. Did you mean --http, --data-dir?');
  });

  it('leaves a word nothing resembles as yargs said it', () => {
    expect(usageMessage('Unknown argument: bogus', [], forever)).toBe('Unknown argument: bogus');
  });

  it("names the mistyped command in front of yargs' suggestion", () => {
    expect(usageMessage('Did you mean forever?', ['--log-level', 'debug', 'forevr'], forever)).toBe('Unknown command: forevr. Did you mean forever?');
  });

  it('keeps a multi-line yargs message on one line', () => {
    expect(usageMessage('Invalid values:\n  Argument: action, Given: "lst"', ['dlq', 'lst'], [])).toBe('Invalid values: Argument: action, Given: "lst"');
  });
});
