// Test-only preload (node --require) for loaded-modules.test.ts: writes every module the CLI loaded
// to the file named by GLUCO_HUB_TEST_LOADED_MODULES. ESM files come from a module.register hook
// (it runs on its own thread, so it appends as it goes); at exit, CommonJS files from
// require.cache and Node's own bundled modules (undici, behind fetch/FormData) from moduleLoadList.
'use strict';
const { appendFileSync, writeFileSync } = require('node:fs');
const { register } = require('node:module');
const { pathToFileURL } = require('node:url');

const out = process.env.GLUCO_HUB_TEST_LOADED_MODULES;
if (!out) throw new Error('GLUCO_HUB_TEST_LOADED_MODULES names the file to write');
writeFileSync(out, '');

const HOOK = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, nextLoad) { appendFileSync(out, url + '\\n'); return nextLoad(url, context); }`;
register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { out } });

process.on('exit', () => {
  const cjs = Object.keys(require.cache).map((file) => pathToFileURL(file).href);
  appendFileSync(out, `${[...process.moduleLoadList, ...cjs].join('\n')}\n`);
});
