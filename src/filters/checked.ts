import type { FilterDef } from './load.js';

/**
 * Filter definitions whose prefix and rules `loadFilterFile` checked (macros, `<HOST>` count, syntax, the
 * catastrophic-backtracking analysis), so that compiling them does not run the same analysis again: it is a
 * third of a short `dictdefence test`'s start-up. A definition built or changed elsewhere (a spread copy is a
 * new object) is not in here, and `compileFilter` checks it.
 */
const checked = new WeakSet<FilterDef>();

export const markChecked = (def: FilterDef): FilterDef => { checked.add(def); return def; };
export const isChecked = (def: FilterDef): boolean => checked.has(def);
