'use strict';
// Nightscout calls what `require('nightscout-connect')` returns: module.exports is the plugin function itself.
// Nightscout requires its connector at boot on every site, connect enabled or not: until a site
// asks for a source, only the settings check is loaded, not the bridge (zod, xstate, axios, pino …).
const { requestedSource } = require('./settings.js');

module.exports = function nightscoutConnect(env, ctx) {
  if (requestedSource(env ?? {}) === undefined) return undefined;
  return require('./index.js').nightscoutConnect(env, ctx);
};
