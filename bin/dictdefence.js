#!/usr/bin/env node
import { tuneDaemonHeap } from '../dist/bundle/v8-flags.js';

// Before anything else is loaded: the settings act on the heap as it grows from the first import on.
if (process.argv[2] === 'run') tuneDaemonHeap();
const { main } = await import('../dist/bundle/main.js');

process.exitCode = await main(process.argv.slice(2));
