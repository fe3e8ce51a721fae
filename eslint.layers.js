// @ts-check
/**
 * The layering, bottom up: lib ← sources, outputs ← machines ← app ← commands (README "How it works").
 * A file may import only from its own layer or below; sources, outputs and machines do not import
 * each other (their shared contracts live in lib/contracts). Static and dynamic imports alike.
 */
const LAYERS = {
  lib: ['app', 'commands', 'machines', 'sources', 'outputs'],
  sources: ['app', 'commands', 'machines', 'outputs'],
  outputs: ['app', 'commands', 'machines', 'sources'],
  machines: ['app', 'commands', 'sources', 'outputs'],
  app: ['commands'],
};

/**
 * @param {string} layer
 * @param {string[]} above
 * @returns {import('eslint').Linter.Config}
 */
function rule(layer, above) {
  const regex = `^(\\.\\./)+(${above.join('|')})/`;
  const message = `${layer}/ may not import ${above.join(', ')}: the layers run commands → app → machines → sources/outputs → lib (README "How it works").`;
  return {
    files: [`${layer}/**/*.ts`, `${layer}/**/*.cjs`],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex, message }] }],
      'no-restricted-syntax': ['error', { selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/]`, message }],
    },
  };
}

export const layering = Object.entries(LAYERS).map(([layer, above]) => rule(layer, above));
