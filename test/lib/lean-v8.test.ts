import { expect, it } from 'vitest';
import { leanV8Flags } from '../../lib/lean-v8.js';

it('a bridge runs without the optimizing compiler; a fleet process, with thousands of bridges, keeps it', () => {
  expect(leanV8Flags({})).toEqual(['--optimize-for-size', '--max-opt=1']);
  expect(leanV8Flags({ GLUCO_HUB__STATE__URL: 'redis://redis:6379/0' })).toEqual(['--optimize-for-size']);
  // An empty setting is no fleet (as the config reads it).
  expect(leanV8Flags({ GLUCO_HUB__STATE__URL: '' })).toContain('--max-opt=1');
});
