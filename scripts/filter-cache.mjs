#!/usr/bin/env node
// Run by `npm run build` after tsc: parses and checks the shipped filters once, into dist/filter-cache.json
// (see src/filters/filter-cache.ts).
const { parseFilterText, shippedCacheFile, shippedFiltersDir } = await import('../dist/filters/load.js');
const { writeFilterCache } = await import('../dist/filters/filter-cache.js');
const { ruleLiteralText, ruleStarts } = await import('../dist/filters/compile.js');
const n = writeFilterCache(shippedFiltersDir, shippedCacheFile, parseFilterText, ruleLiteralText, ruleStarts);
process.stdout.write(`filter cache: ${n} shipped filters → ${shippedCacheFile}\n`);
