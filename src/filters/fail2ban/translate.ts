import { RegexError, walk } from '../regex/ast.js';
import type { Group, Node, Repeat } from '../regex/ast.js';
import { parseRegex } from '../regex/parse.js';
import { printRegex } from '../regex/print.js';
import type { SessionFlag } from '../session.js';
import { absorbAdjacentLoops } from './absorb.js';
import { USER_GROUPS, nameUserGroups, wholeRuleFlags } from './session-tags.js';
import { contains, empty, mapTree, pathTo } from './tree.js';

/**
 * One fail2ban regex (already interpolated) as DictDefence rule texts. fail2ban's tags become DictDefence's
 * (`<HOST>`, `<ADDR>`, `<IP4>`, `<IP6>` → `<HOST>`), its `<F-…>` capture tags plain groups, Python syntax
 * JavaScript syntax. A conditional group `(?(name)yes|no)` cannot be written in JavaScript: the rule is split
 * into one rule per outcome. The result is either rule texts, a reason to leave the rule out (it is no
 * failure on its own line), or a {@link ConvertError} naming the construct that cannot be converted.
 * With `sessions` (the filter's prefregex has `<F-MLFID>`), the multi-line tags become session flags and
 * a rule without an address is kept: it fails with the session's address.
 */
export type Translation =
  /** `flags[i]`: the session flags of `rules[i]` (all empty without `sessions`). */
  | { readonly kind: 'rules'; readonly rules: readonly string[]; readonly flags: readonly (readonly SessionFlag[])[]; readonly notes: readonly string[] }
  /** `probe`: the rule as if it were a failure rule, for diagnostics (which lines fail2ban links). */
  | { readonly kind: 'skip'; readonly reason: string; readonly probe: readonly string[] };

export class ConvertError extends Error {}

const MACROS = new Set(['HOST', 'ADDR', 'IP4', 'IP6', 'DNS', 'CIDR', 'SUBNET', 'SKIPLINES', 'SYSLOG', 'DATE']);
const SELF_CLOSING: Readonly<Record<string, string>> = {
  'F-IP4/': '<IP4>', 'F-IP6/': '<IP6>', 'F-ADDR/': '<ADDR>', 'F-DNS/': '<DNS>', 'F-CIDR/': '<CIDR>',
  'F-SUBNET/': '<SUBNET>', 'F-ID/': '\\S+', 'F-PORT/': '\\w+',
};
const MAX_VARIANTS = 16;

/** fail2ban's tag pass (Regex._resolveHostTag) for the `<F-…>` tags: groups named `f2bN_NAME`. */
function resolveFailTags(regex: string): { text: string; tags: Map<string, string> } {
  const open = new Set<string>();
  const tags = new Map<string, string>();
  const text = regex.replace(/<(\/?)(F-[A-Za-z0-9_-]+)(\/?)>/g, (whole, close: string, name: string, self: string) => {
    if (self) return SELF_CLOSING[`${name}/`] ?? whole;
    const tag = name.slice(2);
    if (close) return open.has(tag) ? ')' : whole;
    open.add(tag);
    const group = `f2b${tags.size}_${tag.replace(/\W/g, '_')}`;
    tags.set(group, tag.toUpperCase());
    return `(?P<${group}>`;
  });
  return { text, tags };
}

/**
 * A part of a regex (fail2ban's prefregex before its `<F-CONTENT>`) as one JavaScript source, with the
 * number of address tags in it. Conditionals and `<F-NOFAIL>` make no sense there and are refused.
 */
export function translatePart(regex: string, notes: string[]): { source: string; hosts: number; session: boolean } {
  const { text, tags } = resolveFailTags(regex);
  // fail2ban's connection id (`<F-MLFID>`) is the group a session is identified by.
  let session = false;
  const tree = mapTree(parse(text), (n) => {
    if (n.type !== 'group' || n.name === undefined || tags.get(n.name) !== 'MLFID' || session) return n;
    session = true;
    return { ...n, name: SESSION_GROUP };
  });
  let hosts = 0;
  walk(tree, (n) => {
    if (n.type === 'cond') throw new ConvertError('a conditional group in the line prefix (prefregex)');
    if (n.type === 'macro' && n.name !== 'SYSLOG' && n.name !== 'DATE') hosts++;
  });
  checkMacros(tree);
  const keepNames = new Set(session ? [SESSION_GROUP] : []);
  return { source: printRegex(unify(absorbAdjacentLoops(tree, notes)), { keepNames }), hosts, session };
}

/** The name of the prefix group that holds a converted filter's session id. */
export const SESSION_GROUP = 'session';

function parse(text: string): Node {
  // fail2ban turns "((?i)x)" and "(?:(?i)x)" into "(?i:x)" before compiling (R_GLOB2LOCFLAGS).
  const local = text.replace(/(?<!\\)\((?:\?:)?(\(\?[a-z]+)\)/g, '$1:');
  try {
    return parseRegex(local, { dialect: 'python', macros: MACROS });
  } catch (e) {
    if (e instanceof RegexError) throw new ConvertError(`${e.message} at ${JSON.stringify(local.slice(e.at, e.at + 24))}`);
    throw e;
  }
}

function checkMacros(tree: Node): void {
  walk(tree, (n) => {
    if (n.type === 'macro' && n.name === 'SKIPLINES') throw new ConvertError('<SKIPLINES> matches several lines; DictDefence matches one line at a time');
    if (n.type === 'macro' && n.name === 'DNS') throw new ConvertError('<DNS> matches host names; DictDefence bans addresses only (a name is the attacker\'s to choose)');
    if (n.type === 'macro' && (n.name === 'CIDR' || n.name === 'SUBNET')) throw new ConvertError(`<${n.name}> (a subnet) has no DictDefence equivalent`);
    if (n.type === 'backref' && /^\d+$/.test(n.ref)) throw new ConvertError(`the numbered backreference \\${n.ref}: fail2ban's tags renumber groups, name the group instead`);
  });
}

/**
 * `<ADDR>`, `<IP4>`, `<IP6>` are all `<HOST>` here: the candidate is checked by the address parser anyway.
 * fail2ban's `<HOST>` and `<ADDR>` also take an address in brackets (`[2001:db8::1]:51548`): so do these.
 */
const unify = (tree: Node): Node => mapTree(tree, (n) => {
  if (n.type !== 'macro' || n.name === 'SYSLOG' || n.name === 'DATE') return n;
  const host: Node = { ...n, name: 'HOST' };
  if (n.name === 'IP4' || n.name === 'IP6') return host;
  const bracket = (code: number): Node => ({
    type: 'repeat', min: 0, max: 1, lazy: false, start: n.start, end: n.end,
    body: { type: 'char', set: [[code, code]], src: code === 91 ? '\\[' : '\\]', start: n.start, end: n.end },
  });
  return { type: 'seq', items: [bracket(91), host, bracket(93)], start: n.start, end: n.end };
});

export interface TranslateOptions {
  readonly requireHost: boolean;
  /** The filter links lines by `<F-MLFID>`: convert the multi-line tags to session flags. */
  readonly sessions?: boolean;
}

export function translateRegex(regex: string, options: TranslateOptions = { requireHost: true }): Translation {
  const { text, tags } = resolveFailTags(regex);
  const original = parse(text);
  let tree = original;
  const groupsTagged = (name: string): Group[] => {
    const out: Group[] = [];
    walk(tree, (n) => { if (n.type === 'group' && n.name !== undefined && tags.get(n.name) === name) out.push(n); });
    return out;
  };
  const skip = (reason: string): Translation => {
    let probe: string[] = [];
    try { probe = print(original, false, []); } catch (e) { if (!(e instanceof ConvertError)) throw e; }
    return { kind: 'skip', reason, probe };
  };
  const sessions = options.sessions === true;
  if (!sessions && groupsTagged('MLFGAINED').length > 0) return skip('a success line (<F-MLFGAINED>), not a failure');
  const ruleFlags: SessionFlag[] = [];
  if (sessions) {
    const whole = wholeRuleFlags(tree, groupsTagged);
    if ('problem' in whole) throw new ConvertError(whole.problem);
    ruleFlags.push(...whole.flags);
    tree = nameUserGroups(tree, tags);
  }
  // The parts an <F-NOFAIL> marks in one branch of an alternation: with sessions, each a nofail rule of its own.
  const nofailTrees: Node[] = [];
  for (const nofail of groupsTagged('NOFAIL')) {
    const result = dropNoFail(tree, nofail);
    if (result === 'rule' && !sessions) return skip('marked <F-NOFAIL>: fail2ban uses it only to link lines, it is no failure');
    if (result === 'rule') {
      ruleFlags.push('nofail');
      continue;
    }
    nofailTrees.push(result.nofail);
    tree = result.fail;
  }
  const notes: string[] = [];
  const nofail = ruleFlags.includes('nofail') || ruleFlags.includes('gained');
  // A session's failure rule may take the session's address; a rule that only links lines must name it.
  const rules = print(tree, options.requireHost && (!sessions || nofail), notes);
  const flags = rules.map(() => [...ruleFlags].sort());
  if (sessions) {
    for (const t of nofailTrees) {
      for (const rule of print(t, true, notes)) {
        rules.push(rule);
        flags.push([...new Set([...ruleFlags, 'nofail' as const])].sort());
      }
    }
  }
  if (rules.length === 0) return skip('no <HOST>: fail2ban gets the address from another line of the same session (multi-line)');
  return { kind: 'rules', rules, flags, notes };
}

/** Every variant of `tree` with an address (or all, when `requireHost` is false) as DictDefence rule text. */
function print(tree: Node, requireHost: boolean, notes: string[]): string[] {
  checkMacros(tree);
  const rules: string[] = [];
  for (const variant of expandConditionals(tree)) {
    let hosts = 0;
    walk(variant, (n) => { if (n.type === 'macro' && n.name !== 'SYSLOG' && n.name !== 'DATE') hosts++; });
    if (hosts > 1) throw new ConvertError(`${hosts} address tags (<HOST>/<ADDR>/<IP4>/<IP6>) in one regex: DictDefence takes exactly one`);
    if (hosts === 0 && requireHost) continue;
    const repaired = absorbAdjacentLoops(variant, notes);
    const named = new Set<string>();
    walk(repaired, (n) => {
      if (n.type === 'backref') named.add(n.ref);
      if (n.type === 'group' && n.name !== undefined && USER_GROUPS.has(n.name)) named.add(n.name);
    });
    rules.push(printRegex(unify(repaired), { keepNames: named }));
  }
  return [...new Set(rules)];
}

/**
 * Removes what an `<F-NOFAIL>` group marks. Around the whole rule (or everything but optional parts): the
 * rule is no failure, `'rule'`. As one branch of an alternation: fail2ban tries that branch first and calls
 * the line no failure when it matches, so the branch goes and the later branches are guarded by `(?!…)`
 * (`fail`); `nofail` is the rule with that branch alone, for a filter with sessions.
 */
function dropNoFail(tree: Node, group: Group): { fail: Node; nofail: Node } | 'rule' {
  const path = pathTo(tree, group) ?? [];
  const parent = path[path.length - 2];
  const inAlt = path.slice(0, -1).some((n) => n.type === 'alt' || (n.type === 'repeat' && n.max > 1));
  if (!inAlt) return 'rule';
  const alt = parent?.type === 'alt' ? parent : undefined;
  if (!alt) throw new ConvertError('<F-NOFAIL> around part of an alternative: cannot tell failures from non-failures');
  const index = alt.alts.indexOf(group);
  const guard: Node = { type: 'group', kind: 'not-ahead', body: group.body, start: group.start, end: group.end };
  const alts = alt.alts.flatMap((a, i) => {
    if (i === index) return [];
    if (i < index) return [a];
    return [{ type: 'seq', items: [guard, a], start: a.start, end: a.end } as Node];
  });
  return {
    fail: mapTree(tree, (n) => (n === alt ? (alts.length === 1 ? alts[0]! : { ...alt, alts }) : n)),
    nofail: mapTree(tree, (n) => (n === alt ? group : n)),
  };
}

/** Splits a tree at its conditional groups into trees without any, one per combination that can occur. */
function expandConditionals(tree: Node): Node[] {
  let todo = [tree];
  const done: Node[] = [];
  while (todo.length > 0) {
    const next: Node[] = [];
    for (const t of todo) {
      let cond: Node | undefined;
      walk(t, (n) => { if (!cond && n.type === 'cond') cond = n; });
      if (!cond || cond.type !== 'cond') { done.push(t); continue; }
      next.push(...splitOn(t, cond.ref));
    }
    if (done.length + next.length > MAX_VARIANTS) throw new ConvertError(`conditional groups expand to more than ${MAX_VARIANTS} rules`);
    todo = next;
  }
  return done;
}

/** Two trees: one where group `ref` took part in the match, one where it did not. */
function splitOn(tree: Node, ref: string): Node[] {
  let group: Group | undefined;
  let index = 0;
  walk(tree, (n) => {
    if (n.type !== 'group' || n.kind !== 'capture') return;
    index++;
    if (!group && (n.name === ref || String(index) === ref)) group = n;
  });
  if (!group) throw new ConvertError(`the conditional (?(${ref})…) refers to no group`);
  const g = group;
  const path = pathTo(tree, g) ?? [];
  // The nearest ancestor that decides whether the group takes part: an optional repeat or an alternation.
  let decider: Node | undefined;
  for (let i = path.length - 2; i >= 0 && !decider; i--) {
    const n = path[i]!;
    if (n.type === 'repeat' && n.min === 0) {
      if (n.max > 1) throw new ConvertError(`the conditional (?(${ref})…) refers to a group inside a repetition`);
      decider = n;
    } else if (n.type === 'repeat' && n.max > 1) {
      throw new ConvertError(`the conditional (?(${ref})…) refers to a group inside a repetition`);
    } else if (n.type === 'alt') {
      decider = n;
    }
  }
  const resolve = (t: Node, took: boolean): Node => mapTree(t, (n) => {
    if (n.type === 'cond' && n.ref === ref) return took ? n.yes : n.no;
    return n;
  });
  if (!decider) return [resolve(tree, true)];
  const d = decider;
  const took = mapTree(tree, (n) => {
    if (n !== d) return n;
    if (n.type === 'repeat') return (n as Repeat).body;
    if (n.type === 'alt') return { ...n, alts: n.alts.filter((a) => contains(a, g)) };
    return n;
  });
  const skipped = mapTree(tree, (n) => {
    if (n !== d) return n;
    if (n.type === 'repeat') return empty(n.start);
    if (n.type === 'alt') return { ...n, alts: n.alts.filter((a) => !contains(a, g)) };
    return n;
  });
  // An alternation left without branches means that outcome cannot happen: no rule for it.
  const possible = (t: Node): boolean => {
    let ok = true;
    walk(t, (n) => { if (n.type === 'alt' && n.alts.length === 0) ok = false; });
    return ok;
  };
  return [resolve(took, true), resolve(skipped, false)].filter(possible);
}
