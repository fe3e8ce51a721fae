'use strict';
// Nightscout calls what `require('nightscout-connect')` returns: module.exports is the plugin function itself.
module.exports = require('./index.js').nightscoutConnect;
