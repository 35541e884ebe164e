#!/usr/bin/env node
// Run by `npm run build` after tsc, before the filter cache: the CLI that bin/dictdefence.js starts, bundled
// from tsc's output into dist/bundle/ (one file per command and chunks they share), with node's modules and
// the packages in node_modules left as they are. Node 20's ESM loader spends ~0.5-1 ms per module file;
// `dictdefence test` loaded 48 of them and now loads 10 (see docs/performance.md).
// Rolldown, not esbuild: esbuild turns every top-level `const` into `var`, and V8 then reads such a binding
// (a reader's table, a literal it compares with) as the variable it has become, on every line: `test` on the
// bench's corpus ran ~5 % slower, which ate what the shorter start gave.
// The bundle sits two folders deep like dist/cli/, so the paths its modules find from import.meta.url
// (../../filters, ../filter-cache.json, ../../package.json) are the same.
import { rmSync } from 'node:fs';
import { build } from 'rolldown';

const dist = new URL('../dist/', import.meta.url);
const out = new URL('bundle/', dist);
rmSync(out, { recursive: true, force: true });
const result = await build({
  input: {
    main: new URL('cli/main.js', dist).pathname,
    // bin/dictdefence.js imports it before anything else for `run`: from the bundle, so that the daemon and it
    // share one copy of the module.
    'v8-flags': new URL('daemon/v8-flags.js', dist).pathname,
  },
  platform: 'node',
  // node:… and bare names (packages; node's own modules without the prefix) stay imports.
  external: [/^node:/, /^[^./]/],
  output: { dir: out.pathname, format: 'esm', sourcemap: true },
  logLevel: 'warn',
});
const files = result.output.filter((o) => o.type === 'chunk').length;
process.stdout.write(`bundle: ${files} files → dist/bundle/\n`);

// The daemon's hot path as bench/library-run.mjs runs it (bench/hot-path.mjs), bundled the same way but on its
// own, so that the CLI's chunks stay as they are. Two folders deep too, for the same paths.
const benchOut = new URL('bench/', dist);
rmSync(benchOut, { recursive: true, force: true });
await build({
  input: { 'hot-path': new URL('../bench/hot-path.mjs', import.meta.url).pathname },
  platform: 'node',
  external: [/^node:/, /^[^./]/],
  output: { dir: benchOut.pathname, format: 'esm', sourcemap: true },
  logLevel: 'warn',
});
process.stdout.write('bundle: bench/hot-path.mjs → dist/bench/\n');
