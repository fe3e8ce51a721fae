#!/usr/bin/env node
import { leanV8 } from '../lib/lean-v8.js';

leanV8(); // before anything else loads

const { endQuietlyOnClosedPipe } = await import('../lib/closed-pipe.js');
endQuietlyOnClosedPipe([process.stdout, process.stderr]);
const { main } = await import('./cli.js');
process.exitCode = await main(process.argv.slice(2));
