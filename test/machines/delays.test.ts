import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { cycleMachine } from '../../machines/cycle.js';
import { frameMachine } from '../../machines/frame.js';
import { pollerMachine } from '../../machines/poller.js';
import { sessionMachine } from '../../machines/session.js';

/** Every `after` delay, as written: a typo'd key would fire at once. */
function afterDelays(machine: AnyStateMachine): unknown[] {
  const found: unknown[] = [];
  const walk = (node: AnyStateNode): void => {
    for (const t of node.after) found.push(t.delay);
    Object.values(node.states).forEach(walk);
  };
  walk(machine.root);
  return found;
}

describe('every after-delay is a number or a declared delay', () => {
  const machines = { pollerMachine, cycleMachine, frameMachine, sessionMachine };
  for (const [name, machine] of Object.entries(machines)) {
    it(name, () => {
      const known = Object.keys(machine.implementations.delays);
      for (const delay of afterDelays(machine)) {
        if (typeof delay !== 'number') expect(known).toContain(delay);
      }
    });
  }

  it('finds the delays it is meant to check', () => {
    expect(afterDelays(sessionMachine).sort()).toEqual(['callTimeout', 'callTimeout', 'callTimeout', 'expireDelay', 'refreshDelay']);
    expect(afterDelays(frameMachine).sort()).toEqual(['fetchDeadline', 'retryDelay', 'sessionWait']);
    expect(afterDelays(cycleMachine)).toEqual(['nextFrame']);
  });
});
