import { createRequire } from 'node:module';
import type { AxiosStatic } from 'axios';

/**
 * Node's globals backed by its bundled undici, which it loads (~9 MB RSS) the first time one is
 * read. axios 1.x reads them while it is imported, whatever adapter is used: `utils.js` keeps
 * `globalThis.FormData` for `isFormData`, and the fetch adapter probes `Request` and `Response`.
 * No axios entry point avoids this (each one imports utils.js), and we only use its http adapter.
 */
const PROBED_GLOBALS = ['FormData', 'Request', 'Response'] as const;

/**
 * axios, loaded with those globals hidden for the length of the synchronous `require` and put
 * back in `finally`, so nothing else ever sees them missing and undici stays unloaded until
 * something really uses fetch. What axios loses is recognising a native FormData body, which
 * no driver sends. test/e2e/loaded-modules.test.ts fails if a new axios probes something else.
 */
function loadAxios(): AxiosStatic {
  const saved = PROBED_GLOBALS.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const);
  for (const [name] of saved) Object.defineProperty(globalThis, name, { value: undefined, configurable: true, writable: true });
  try {
    // The CommonJS build (the package's own `require` export): `import` cannot run inside try/finally.
    return createRequire(import.meta.url)('axios') as AxiosStatic;
  } finally {
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else Reflect.deleteProperty(globalThis, name);
    }
  }
}

export const axios = loadAxios();
