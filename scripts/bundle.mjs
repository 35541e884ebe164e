#!/usr/bin/env node
// Run by `npm run build` after tsc, before the filter cache: the CLI that bin/dictdefence.js starts, bundled
// from tsc's output into dist/bundle/ (one file per command and chunks they share), with node_modules left
// as they are. Node 20's ESM loader spends ~0.5-1 ms per module file; `dictdefence test` loaded 48 of them
// and now loads 10 (18 ms less of a start, see docs/performance.md). dist/ keeps tsc's modules for the
// library's own entry (package.json "main"), the bench and the tests.
// The bundle sits two folders deep like dist/cli/, so the paths its modules find from import.meta.url
// (../../filters, ../filter-cache.json, ../../package.json) are the same.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
rmSync(new URL('bundle/', dist), { recursive: true, force: true });
const result = await build({
  entryPoints: {
    main: new URL('cli/main.js', dist).pathname,
    // bin/dictdefence.js imports it before anything else for `run`: from the bundle, so that the daemon and it
    // share one copy of the module.
    'v8-flags': new URL('daemon/v8-flags.js', dist).pathname,
  },
  outdir: new URL('bundle/', dist).pathname,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
process.stdout.write(`bundle: ${files.length} files → dist/bundle/\n`);
