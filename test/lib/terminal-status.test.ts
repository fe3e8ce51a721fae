import { describe, expect, it } from 'vitest';
import { backlogProgress, backlogStatus, progressBar } from '../../lib/backlog-progress.js';
import { TerminalStatus } from '../../lib/terminal-status.js';

function terminal(columns = 80) {
  let written = '';
  const status = new TerminalStatus((t) => (written += t), () => columns);
  return { status, written: () => written };
}

describe('the status line', () => {
  it('is rewritten in place, and log lines go above it', () => {
    const t = terminal();
    t.status.show('a/nightscout', 'back-filling 1 of 3');
    t.status.show('a/nightscout', 'back-filling 2 of 3');
    t.status.log('[12:00:00] INFO: entries: 1 new\n');
    t.status.show('a/nightscout', undefined);
    t.status.log('[12:00:01] INFO: done\n');
    expect(t.written()).toBe(
      '\r\u001b[Kback-filling 1 of 3' +
        '\r\u001b[Kback-filling 2 of 3' +
        '\r\u001b[K[12:00:00] INFO: entries: 1 new\nback-filling 2 of 3' +
        '\r\u001b[K' +
        '[12:00:01] INFO: done\n',
    );
  });

  it('shows every output that back-fills, cut to the width so it never wraps', () => {
    const t = terminal(30);
    t.status.show('a/nightscout', 'nightscout: 10 of 20');
    t.status.show('b/nightscout', 'nightscout: 5 of 900');
    expect(t.written().split('\r\u001b[K').at(-1)).toBe('nightscout: 10 of 20 | night…');
  });

  it('writes nothing when nothing changed', () => {
    const t = terminal();
    t.status.show('k', undefined);
    t.status.log('line\n');
    expect(t.written()).toBe('line\n');
  });
});

describe('back-fill progress', () => {
  it('draws a bar of whole blocks', () => {
    expect(progressBar(0, 10, 10)).toBe('[░░░░░░░░░░]');
    expect(progressBar(5, 10, 10)).toBe('[█████░░░░░]');
    expect(progressBar(10, 10, 10)).toBe('[██████████]');
    expect(progressBar(0, 0, 4)).toBe('[████]');
  });

  it('says how far a backlog is, and nothing once the output is current or down', () => {
    expect(backlogProgress({ output: 'nightscout', state: 'backlog', waiting: 6_864, delivered: 1_200, etaMs: 120_000 })).toBe(
      'nightscout: back-filling [██░░░░░░░░░░░░░░░░░░] 1,200 of 8,064 · ~2 min left',
    );
    expect(backlogProgress({ output: 'nightscout', state: 'current', waiting: 0 })).toBeUndefined();
    expect(backlogProgress({ output: 'nightscout', state: 'unavailable', waiting: 50, delivered: 3 })).toBeUndefined();
  });
});

describe('a back-fill on the status line', () => {
  const report = (delivered: number, waiting: number) => ({ output: 'nightscout', state: 'backlog' as const, waiting, delivered });

  it('appears once it has lasted two seconds, and goes when the output is current', () => {
    const status = backlogStatus();
    expect(status('a/ns', report(100, 900), 0)).toBeUndefined();
    expect(status('a/ns', report(200, 800), 1_999)).toBeUndefined();
    expect(status('a/ns', report(300, 700), 2_000)).toContain('300 of 1,000');
    expect(status('b/ns', report(10, 10), 2_000)).toBeUndefined();
    expect(status('a/ns', { output: 'nightscout', state: 'current', waiting: 0 }, 3_000)).toBeUndefined();
    // A new back-fill waits its own two seconds.
    expect(status('a/ns', report(1, 99), 3_500)).toBeUndefined();
  });
});
