import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { layering } from '../../eslint.layers.js';

/**
 * The layering rule as `npm run lint` applies it (eslint.config.js spreads the same blocks): each
 * layer may import its own layer and those below it, never those above, statically or lazily.
 */
const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...layering],
});

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const upward: [file: string, specifier: string][] = [
  ['lib/time.ts', '../machines/poller.js'],
  ['lib/config/load.ts', '../../outputs/registry.js'],
  ['lib/contracts/source.ts', '../../app/hub.js'],
  ['sources/librelinkup/transform.ts', '../../outputs/nightscout/documents.js'],
  ['sources/simulator/index.ts', '../../machines/frame.js'],
  ['outputs/mqtt/index.ts', '../../sources/registry.js'],
  ['outputs/http/cache/model.ts', '../../../machines/contract.js'],
  ['machines/frame.ts', '../outputs/registry.js'],
  ['machines/poller.ts', '../app/hub.js'],
  ['app/hub.ts', '../commands/forever.js'],
];

const allowed: [file: string, specifier: string][] = [
  ['lib/config/load.ts', '../contracts/source.js'],
  ['sources/librelinkup/transform.ts', '../../lib/domain.js'],
  ['outputs/http/index.ts', './cache/model.js'],
  ['machines/frame.ts', '../lib/contracts/output.js'],
  ['app/hub.ts', '../machines/index.js'],
  ['app/plugin/index.ts', '../../outputs/internal/index.js'],
  ['commands/forever.ts', '../app/hub.js'],
];

describe('the import layering (npm run lint)', () => {
  it.each(upward)('refuses %s importing %s, statically and lazily', async (file, specifier) => {
    expect(await problems(file, `import { x } from '${specifier}';\nexport const y = x;\n`)).toEqual([expect.stringMatching(/^no-restricted-imports: .*may not import/)]);
    expect(await problems(file, `export const load = () => import('${specifier}');\n`)).toEqual([expect.stringMatching(/^no-restricted-syntax: .*may not import/)]);
  });

  it.each(allowed)('lets %s import %s', async (file, specifier) => {
    expect(await problems(file, `import { x } from '${specifier}';\nexport const y = x;\nexport const load = () => import('${specifier}');\n`)).toEqual([]);
  });
});
