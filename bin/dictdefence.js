#!/usr/bin/env node
// Who started us, read first: `run` in the foreground stops when that process dies, also when it dies while
// the modules load and the config is read (the parent of an orphan is PID 1 by the time it asks).
const parentPid = process.ppid;

// Before anything else is loaded: the settings act on the heap as it grows from the first import on. Only for
// `run`: the module loads node:v8 and node:vm, 3-4 ms of every other command's start (`test` on an empty file
// 116 → 112 ms, medians of 21, interleaved).
if (process.argv[2] === 'run') {
  const { tuneDaemonHeap } = await import('../dist/bundle/v8-flags.js');
  tuneDaemonHeap();
}
const { main, processIo } = await import('../dist/bundle/main.js');

process.exitCode = await main(process.argv.slice(2), { ...processIo, parentPid });
