import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREDENTIALS, READABLE } from './nightscout-conformance/credentials.js';
import { expected, play, startFake, startReal, type Site, type Target, type TargetOptions } from './nightscout-conformance/harness.js';
import { FUTURE_DATED } from './nightscout-conformance/future.js';
import { V1 } from './nightscout-conformance/v1.js';
import { V3_SEARCH } from './nightscout-conformance/v3-search.js';
import { V3_WRITE } from './nightscout-conformance/v3-write.js';
import { realNightscoutOrSkip } from './real-nightscout.js';

/**
 * One table of requests, played against the fake Nightscout (always) and the real one
 * (cgm-remote-monitor 15.0.7, when GLUCO_HUB_REAL_NIGHTSCOUT is set). The expected answers are
 * the real server's, so a green run with the real server proves the table, and a green run of
 * the fake proves the fake against it. Reality beats our fakes: where they differ, the fake is
 * corrected. Each site is one fresh server; its scenarios run in order and share its data.
 */

const TABLE: Site[] = [
  { name: 'AUTH_DEFAULT_ROLES=denied', blocks: [CREDENTIALS, V1, V3_WRITE] },
  { name: 'reads (AUTH_DEFAULT_ROLES=denied)', blocks: [V3_SEARCH, FUTURE_DATED] },
  { name: 'AUTH_DEFAULT_ROLES=readable', options: { defaultRoles: 'readable' }, blocks: [READABLE] },
];

interface Kind {
  name: Target['name'];
  start: (options: TargetOptions) => Promise<Target>;
}

const KINDS: Kind[] = [{ name: 'fake', start: startFake }];
if (realNightscoutOrSkip('the Nightscout conformance table against the real server')) KINDS.push({ name: 'real', start: startReal });

for (const kind of KINDS) {
  for (const site of TABLE) {
    describe(`${kind.name} Nightscout, ${site.name}`, () => {
      let target: Target | undefined;
      beforeAll(async () => {
        target = await kind.start({ defaultRoles: 'denied', ...site.options });
      }, 60_000);
      afterAll(async () => {
        await target?.close();
      });

      for (const block of site.blocks) {
        describe(block.name, () => {
          for (const scenario of block.scenarios) {
            it(scenario.name, async () => {
              for (const [i, step] of scenario.steps.entries()) {
                const label = `step ${i + 1}: ${step.method ?? 'GET'} ${step.path}`;
                expect(await play(target!, step), label).toEqual(expected(step));
              }
            });
          }
        });
      }
    });
  }
}
