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

/**
 * The required literal (compile.ts, `ruleLiteralText`) of each rule of a definition, worked out at build time for
 * the shipped filters (filter-cache.ts): parsing every rule again for it was ~30 ms of a start with all of them.
 * `null`: the rule has none worth searching for. A rule not in the map is worked out as usual.
 */
const literals = new WeakMap<FilterDef, ReadonlyMap<string, string | null>>();

export const withKnownLiterals = (def: FilterDef, known: ReadonlyMap<string, string | null>): FilterDef => {
  literals.set(def, known);
  return def;
};
/** The literal of `rule` known for `def`, `null` for none, `undefined` when it is not known. */
export const knownLiteral = (def: FilterDef, rule: string): string | null | undefined => literals.get(def)?.get(rule);

/**
 * A filter's line-start tables (line-start.ts, packed with `packStart`) for one set of rules, worked out at build
 * time for the shipped filters (filter-cache.ts): reading every rule for them was ~10–25 ms of a start with all
 * of them. `null`: every start passes. Also the fast path's reader checked against the rules compiled (fast/index.ts,
 * by name; `null`: none), whose fingerprint, a SHA-256 run cold, was 2–4 ms of every start of the sshd filter.
 */
export interface KnownStarts {
  readonly rules: readonly string[];
  readonly headless: string | null;
  readonly afterHead: string | null;
  readonly fast: string | null;
}
const starts = new WeakMap<FilterDef, readonly KnownStarts[]>();

export const withKnownStarts = (def: FilterDef, known: readonly KnownStarts[]): FilterDef => {
  starts.set(def, known);
  return def;
};
/** The tables known for `def` with exactly these rules, in this order; `undefined` when not known. */
export const knownStarts = (def: FilterDef, rules: readonly string[]): KnownStarts | undefined =>
  starts.get(def)?.find((k) => k.rules.length === rules.length && k.rules.every((r, i) => r === rules[i]));
