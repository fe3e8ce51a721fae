#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// A bridge waits on the network nearly all the time: trading a little speed for a smaller heap
// (measured: about 12 MB less RSS for one bridge, docs/performance.md, `memory`). Set before anything loads.
setFlagsFromString('--optimize-for-size');

const { endQuietlyOnClosedPipe } = await import('../lib/closed-pipe.js');
endQuietlyOnClosedPipe([process.stdout, process.stderr]);
const { main } = await import('./cli.js');
process.exitCode = await main(process.argv.slice(2));
