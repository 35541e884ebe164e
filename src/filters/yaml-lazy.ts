import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

const require = createRequire(import.meta.url);
let loaded: typeof Yaml | undefined;

/**
 * The yaml package, loaded on first use. Importing it costs ~30 ms (measured: `node -e "require('yaml')"`
 * against `node -e 0`), a sixth of a short `dictdefence test`; a run whose filters all come from the shipped
 * filters' cache (filter-cache.ts) never needs it.
 */
export const yaml = (): typeof Yaml => (loaded ??= require('yaml') as typeof Yaml);
