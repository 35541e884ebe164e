// What bench/library-run.mjs runs of the daemon, bundled by `npm run build` (scripts/bundle.mjs) into
// dist/bench/hot-path.js as the CLI is bundled into dist/bundle/: the daemon loads a few bundled files, not
// the ~50 modules tsc writes, and the harness should start as it does.
export { loadFilterFile, shippedFiltersDir } from '../dist/filters/load.js';
export { compileFilter } from '../dist/filters/compile.js';
export { createTracker } from '../dist/trackers/index.js';
export { createJail } from '../dist/daemon/jail.js';
export { createActiveBans } from '../dist/daemon/active-bans.js';
export { createLineRouter } from '../dist/daemon/router.js';
export { createLineSplitter } from '../dist/sources/line-splitter.js';
export { newSourceCounters } from '../dist/sources/source.js';
export { createCidrSet, parseCidr } from '../dist/core/cidr.js';
export { DEFAULTS } from '../dist/config/defaults.js';
export { scanIPv4LineOf, OTHER_ADDRESS, UNSURE } from '../dist/filters/fast/index.js';
export { READ_SIZE, BACKLOG_READ_SIZE, nextReadSize } from '../dist/sources/file-reader.js';
