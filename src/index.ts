/**
 * The library face of DictDefence: what another program (or a test) may build on. The CLI in `cli/` is one
 * such program.
 */
export { parseAddress, isIPv4, type Address } from './core/address.js';
export { parseCidr, createCidrSet, type Cidr, type CidrSet } from './core/cidr.js';
export { realClock, ManualClock, type Clock, type Cancel } from './core/clock.js';
export { parseDuration, formatDuration } from './core/duration.js';
export { exec, type ExecOptions, type ExecResult } from './core/exec.js';
export type { Ban, Hit, LogLine, Offence, Result } from './core/types.js';
export { loadConfig } from './config/load.js';
export type { Config, ConfigError, JailConfig } from './config/types.js';
export type { Action, ActionResult } from './actions/action.js';
export { actions, createAction } from './actions/index.js';
export type { Filter, Match } from './filters/filter.js';
export { compileFilter } from './filters/compile.js';
export { loadFilterFile, findFilter, shippedFiltersDir } from './filters/load.js';
export type { Source } from './sources/source.js';
export { createSource } from './sources/index.js';
export type { Store, StoredBan } from './stores/store.js';
export { openStore } from './stores/index.js';
export type { Tracker } from './trackers/tracker.js';
export { createTracker } from './trackers/index.js';
export type { Notifier } from './notifiers/notifier.js';
export { createDaemon } from './daemon/daemon.js';
export { main } from './cli/main.js';
