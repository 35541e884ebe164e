import { sharedInterner } from '../core/address.js';
import { realClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { err, ok } from '../core/types.js';
import type { Result } from '../core/types.js';
import { fastSpecName, withFastPath } from './fast/index.js';
import type { Filter, FilterCounters, Match, RuleInfo } from './filter.js';
import { HOST_GROUP, HOST_PATTERN } from './host.js';
import { DATE_PATTERN, SYSLOG_PATTERN, parseLineTime } from './line-time.js';
import { afterHeadOf, lineStartOf, packStart, unpackStart } from './line-start.js';
import { isChecked, knownLiteral, knownStarts, type KnownStarts } from './checked.js';
import type { FilterDef } from './load.js';
import { programWords, requiresSyslogHead } from './program.js';
import { requiredLiteral } from './regex/literal.js';
import { parseRegex } from './regex/parse.js';
import { safetyProblem } from './regex/safety.js';
import { createSessions, roleOf } from './session.js';

/**
 * Macros a filter's regexes may use. `<NAME>` in upper case is a macro unless it closes a named group
 * (`(?<NAME>`) or a named backreference (`\k<NAME>`); an unknown one is an error, so a typo such as `<HSOT>`
 * is not silently matched as literal text.
 */
const MACROS: Readonly<Record<string, string>> = { HOST: HOST_PATTERN, SYSLOG: SYSLOG_PATTERN, DATE: DATE_PATTERN };
const MACRO = /(?<!\(\?|\\k)<([A-Z][A-Z0-9_]*)>/g;

function macroUses(text: string): string[] {
  return Array.from(text.matchAll(MACRO), (m) => m[1] ?? '');
}

/** `text` with the macros `<HOST>`, `<SYSLOG>` and `<DATE>` replaced by their regex source. */
export function expandMacros(text: string): string {
  return text.replace(MACRO, (whole, name: string) => MACROS[name] ?? whole);
}

/**
 * The regex source of one rule as it runs: anchored at the start of the line, the prefix, then the rule.
 * Both are grouped so that an alternation in either stays inside it. The end is anchored only where the
 * rule writes `$`: a rule should, whenever the server writes the end of the line itself, because a greedy
 * `.*` over attacker-controlled text then has to give back everything up to the server's own suffix.
 */
/**
 * A regex that finds any of `literals` (a filter's prefilter) in a line. V8's regex engine searches a literal
 * several times faster than `String.prototype.includes` does (measured: ~30 ns against ~90 ns a line), and
 * finds any of several in one pass.
 */
export function literalsRegex(literals: readonly string[]): RegExp {
  return new RegExp(literals.map((l) => l.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'));
}

export function ruleSource(prefix: string, rule: string): string {
  return prefix === '' ? `^(?:${expandMacros(rule)})` : `^(?:${expandMacros(prefix)})(?:${expandMacros(rule)})`;
}

function unknownMacro(text: string): string | undefined {
  const unknown = macroUses(text).find((name) => !(name in MACROS));
  if (unknown === undefined) return undefined;
  return `Unknown macro <${unknown}> (known: ${Object.keys(MACROS).map((k) => `<${k}>`).join(', ')})`;
}

function regexError(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (e) {
    // V8 writes "Invalid regular expression: /<source>/: <reason>"; the source is the rule after expansion,
    // long and not what the user wrote (the error's key and line already point at that), so keep the reason.
    const text = e instanceof Error ? e.message : String(e);
    const reason = /^Invalid regular expression: \/[\s\S]*\/[a-z]*: (.+)$/.exec(text)?.[1] ?? text;
    return `Invalid regular expression: ${reason}`;
  }
}

/** Why `prefix` cannot be a filter's prefix, or `undefined` when it can. */
export function checkPrefix(prefix: string): string | undefined {
  const unknown = unknownMacro(prefix);
  if (unknown) return unknown;
  if (macroUses(prefix).includes('HOST')) return 'The prefix must not contain <HOST>: put it in each rule';
  const source = `^(?:${expandMacros(prefix)})`;
  return regexError(source) ?? safetyProblem(source);
}

/**
 * Why `rule` cannot be a rule of this kind behind `prefix`, or `undefined` when it can. A failregex holds
 * `<HOST>` exactly once (two would leave it unclear which address to ban), or at most once when
 * `hostOptional` (a session's failure rule takes the session's address); an ignoreregex at most once.
 */
export function checkRule(prefix: string, rule: string, kind: 'failregex' | 'ignoreregex', hostOptional = false): string | undefined {
  const unknown = unknownMacro(rule);
  if (unknown) return unknown;
  const hosts = macroUses(rule).filter((name) => name === 'HOST').length;
  if (kind === 'failregex' && hostOptional && hosts > 1) return `A rule may contain <HOST> at most once, found ${hosts}`;
  if (kind === 'failregex' && !hostOptional && hosts !== 1) return `A rule must contain <HOST> exactly once, found ${hosts}`;
  if (kind === 'ignoreregex' && hosts > 1) return `An ignoreregex may contain <HOST> at most once, found ${hosts}`;
  const source = ruleSource(prefix, rule);
  // The rule with the prefix in front: a prefix ending in `\S*` and a rule starting with `.*` are only
  // dangerous together.
  return regexError(source) ?? safetyProblem(source);
}

export interface CompileOptions {
  /** Mode names whose rules to add after the filter's own; `normal` means none and may be listed. */
  readonly modes: readonly string[];
  /** Lines longer than this (UTF-16 code units) are counted as overlong and never reach a regex. */
  readonly maxLineLength: number;
  /** Parse each matching line's own timestamp into `Match.time` (replay of old logs). */
  readonly withTime?: boolean;
  /** Supplies the year a BSD syslog timestamp lacks when `withTime` is set; the real clock by default. */
  readonly clock?: Pick<Clock, 'now'>;
  /** Put a hand-written reader proven equal to the regexes in front of them where one fits (fast/); default on. */
  readonly fastPath?: boolean;
}

/**
 * Compiles a filter definition once, at load: every regex is built here and `match` only runs them.
 * Rules are tried in order (the filter's failregex, then each enabled mode's, in file order); the first that
 * matches decides. Errors (unknown mode, a definition that was not validated by `loadFilterFile`) are values.
 */
export function compileFilter(def: FilterDef, options: CompileOptions): Result<Filter> {
  const fail = (message: string): Result<Filter> => err(`Cannot compile filter "${def.name}": ${message}`);
  if (!Number.isInteger(options.maxLineLength) || options.maxLineLength < 1) {
    return fail(`maxLineLength must be a positive integer, got ${options.maxLineLength}`);
  }
  for (const mode of options.modes) {
    if (mode !== 'normal' && !def.modes.has(mode)) {
      const known = [...def.modes.keys()].map((k) => `"${k}"`).join(', ');
      return fail(`unknown mode "${mode}" (${known ? `known: ${known}` : 'the filter has no modes'})`);
    }
  }
  const ruleTexts = [...def.failregex];
  const ruleInfo: RuleInfo[] = def.failregex.map((text, i) => info(def, `failregex[${i}]`, text));
  for (const [name, mode] of def.modes) {
    if (!options.modes.includes(name)) continue;
    ruleTexts.push(...mode.failregex);
    ruleInfo.push(...mode.failregex.map((text, i) => info(def, `modes.${name}.failregex[${i}]`, text)));
  }

  const roles = ruleInfo.map((r) => roleOf(def.flags?.[r.key] ?? []));
  for (const [kind, list] of isChecked(def) ? [] : [['failregex', ruleTexts], ['ignoreregex', def.ignoreregex]] as const) {
    for (const [i, rule] of list.entries()) {
      const role = kind === 'failregex' ? roles[i] : undefined;
      const hostOptional = def.session !== undefined && role !== undefined && !role.nofail && !role.gained;
      const problem = checkRule(def.prefix, rule, kind, hostOptional);
      if (problem) return fail(`${kind} "${rule}": ${problem}`);
    }
  }
  const rules = ruleTexts.map((rule) => ruleSource(def.prefix, rule));
  // No flags: `g`/`y` would carry lastIndex from one line to the next, and `m` lets `$` match before a `\r`.
  const failRes = rules.map((source) => new RegExp(source));
  const needs = ruleTexts.map((rule) => {
    const known = knownLiteral(def, rule);
    const literal = known === undefined ? ruleLiteralText(rule, def.prefilter) : known ?? undefined;
    return literal === undefined ? undefined : literalsRegex([literal]);
  });
  const ignoreRes = def.ignoreregex.map((rule) => new RegExp(ruleSource(def.prefix, rule)));

  const counters: FilterCounters = {
    lines: 0, perRule: new Array<number>(rules.length).fill(0), ignored: 0, badAddress: 0, overlong: 0, binary: 0,
  };
  const { maxLineLength } = options;
  const prefilter = def.prefilter === undefined ? undefined : literalsRegex(def.prefilter);
  // Every rule runs as ^(?:prefix)(?:rule): a line whose start the prefix cannot match matches no rule, so
  // the prefix is tried once (most lines of a shared log are another program's) instead of once per rule.
  // Needless when every rule has a literal: a line of another program then fails those, which costs less.
  const gate = def.prefix === '' || failRes.length < 2 || needs.every((n) => n !== undefined)
    ? undefined : new RegExp(`^(?:${expandMacros(def.prefix)})`);
  const clock = options.clock ?? realClock;
  const withTime = options.withTime === true;
  const ruleCount = failRes.length;
  const ignoreCount = ignoreRes.length;
  const sessionId = def.session?.id ?? '';
  const sessions = def.session === undefined ? undefined : createSessions(def.session);
  const addresses = sharedInterner();

  // The hot path: no allocation unless a rule matches (exec returns null otherwise), no closures per line.
  function match(line: string): Match | undefined {
    counters.lines++;
    if (line.length > maxLineLength) {
      counters.overlong++;
      return undefined;
    }
    if (prefilter !== undefined && !prefilter.test(line)) return undefined;
    if (gate !== undefined && !gate.test(line)) return undefined;
    for (let rule = 0; rule < ruleCount; rule++) {
      const need = needs[rule];
      if (need !== undefined && !need.test(line)) continue;
      const m = failRes[rule]!.exec(line);
      if (m === null) continue;
      for (let j = 0; j < ignoreCount; j++) {
        if (ignoreRes[j]!.test(line)) {
          counters.ignored++;
          return undefined;
        }
      }
      // Checked only once a rule matched, so it costs nothing on the lines that do not (nearly all of them).
      if (line.indexOf('\u0000') !== -1) {
        counters.binary++;
        return undefined;
      }
      const candidate = m.groups?.[HOST_GROUP];
      let address = candidate === undefined ? undefined : addresses.parse(candidate);
      if (address === undefined && (candidate !== undefined || sessions === undefined)) {
        counters.badAddress++;
        return undefined;
      }
      let time: number | undefined;
      if (sessions !== undefined) {
        // Line time, so that a replayed log expires sessions as they expired when it was written.
        time = parseLineTime(line, clock.now());
        const groups = m.groups;
        const user = groups?.['user'] || groups?.['altuser'];
        address = sessions.judge(groups?.[sessionId], roles[rule]!, address, user, time ?? clock.now());
      }
      if (address === undefined) return undefined;
      counters.perRule[rule]!++;
      if (!withTime) return { address, rule };
      time ??= parseLineTime(line, clock.now());
      return time === undefined ? { address, rule } : { address, rule, time };
    }
    return undefined;
  }

  const syslogOnly = requiresSyslogHead(def.prefix);
  const known = knownStarts(def, ruleTexts);
  const headless = syslogOnly ? undefined : known === undefined ? lineStartOf(def.prefix, ruleTexts) : unpackStart(known.headless);
  const afterHead = known === undefined ? afterHeadOf(def.prefix, ruleTexts) : unpackStart(known.afterHead);
  const routed = {
    ...(def.programs === undefined ? {} : { programs: programWords(def.programs) }),
    ...(def.prefilter === undefined ? {} : { prefilter: def.prefilter }),
    ...(syslogOnly ? { syslogOnly: true } : {}),
    ...(headless === undefined ? {} : { headless }),
    ...(afterHead === undefined ? {} : { afterHead }),
  };
  const filter: Filter = { name: def.name, rules, ruleInfo, counters, match, ...routed };
  // A fast path reads lines alone: a filter with sessions never gets one, whatever its rules.
  return ok(options.fastPath === false || sessions !== undefined ? filter : withFastPath(def, options, filter, undefined, known?.fast));
}

/** Shorter literals are found about as fast as the rule fails. */
const MIN_LITERAL = 4;

/**
 * The text every match of `rule` contains (regex/literal.ts), searched for before the rule runs; the prefix
 * is left out, as every rule shares it. `undefined` when there is none worth it. A text the filter's
 * `prefilter` already makes certain is passed over for the next longest where there is one: apache-auth's rules
 * all hold "[client ", its prefilter, so three of them searched for that and ran on every line they were
 * offered (its lines 611 → 395 ns each on the bench's mixed corpus, warm). Where there is none, the rule keeps
 * it: a rule with no literal would have the prefix tried on every line first (`gate`), which costs more.
 */
export function ruleLiteralText(rule: string, prefilter: readonly string[] = []): string | undefined {
  let literal: string;
  try {
    const tree = parseRegex(expandMacros(rule), { dialect: 'js' });
    const telling = prefilter.length === 0 ? '' : requiredLiteral(tree, prefilter);
    literal = telling.length >= MIN_LITERAL ? telling : requiredLiteral(tree);
  } catch {
    return undefined; // e.g. a backreference to a group of the prefix: the rule alone does not parse
  }
  return literal.length < MIN_LITERAL ? undefined : literal;
}

function info(def: FilterDef, key: string, text: string): RuleInfo {
  const line = def.lines?.get(key);
  return { key, text, where: line === undefined ? undefined : `${def.file}:${line}` };
}

/**
 * The line-start tables of a filter with these rules, packed for the filter cache (filter-cache.ts), and the fast
 * path checked against them, as `compileFilter` works them out.
 */
export function ruleStarts(def: FilterDef, rules: readonly string[]): KnownStarts {
  return {
    rules,
    headless: requiresSyslogHead(def.prefix) ? null : packStart(lineStartOf(def.prefix, rules)),
    afterHead: packStart(afterHeadOf(def.prefix, rules)),
    fast: fastSpecName(rules.map((rule) => ruleSource(def.prefix, rule))),
  };
}
