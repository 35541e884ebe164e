import type { Filter, RuleInfo } from './filter.js';

/** What `dictdefence why` prints for one rule: where it is written and its text. */
export interface RuleDescription extends RuleInfo {
  readonly rule: number;
  /** The regex as it runs: the filter's prefix in front, macros expanded. */
  readonly source: string;
}

/**
 * The rule a hit's `rule` index refers to in `filter`, or `undefined` when the index is out of range (the hit
 * was stored before the filter was edited and reloaded, or it carries no index). A filter without rule
 * information (a wrapper that dropped it) still yields the running source, with the key `failregex[N]`.
 */
export function describeRule(filter: Filter, rule: number | undefined): RuleDescription | undefined {
  if (rule === undefined || !Number.isInteger(rule) || rule < 0) return undefined;
  const source = filter.rules[rule];
  if (source === undefined) return undefined;
  const info = filter.ruleInfo?.[rule] ?? { key: `failregex[${rule}]`, text: source, where: undefined };
  return { rule, source, ...info };
}
