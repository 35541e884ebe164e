import { isZeroWidth } from '../regex/ast.js';
import type { Node, Repeat } from '../regex/ast.js';
import { complement, isSubset, onlyUnit, subtract, single } from '../regex/charset.js';
import type { CharSet } from '../regex/charset.js';
import { classCharSrc, classSrc } from '../regex/print.js';
import { empty, mapTree } from './tree.js';

/**
 * Repairs the quadratic shapes common in fail2ban's patterns without changing what they match: two unbounded
 * quantifiers with only optional text between them, one of which takes every character of the other.
 *
 * - The first is contained in the second (`:\s*.*`, `(?: ssh\d*)?(?:(?! from ).)*$`): the first can take its
 *   minimum, whatever more it took the second takes as well — provided the optional text between is made of
 *   characters the second takes too, and, for a tempered `(?:(?!LIT).)*`, no character of the first (and no
 *   repeated character between) can start LIT.
 * - The second is contained in the first (`[^>]*(?:, session=<\S+>)?\s*$`): `A* B*` is `A*`, so
 *   `A* (?:Y)? B*` is `A* (?:Y B*)?` — the second moves into the optional part and is no longer adjacent.
 *
 * Where the first stands inside a repetition (`(?: port \d+){0,2}…(?:(?! from ).)*$`), taking its minimum
 * would change what later repetitions can match; it is made atomic instead, `(?=(?<aN>\d+))\k<aN>` — it
 * takes its whole run and never gives a character back, which the second would have taken anyway.
 *
 * - A loop over every character that only optional text and the final `$` follow takes the rest of the
 *   line at once, atomically (see {@link atomicLastLoops}).
 *
 * Plain groups are spliced into the sequence around them first, so that `(?:a*(?:y)?)b*` is seen as
 * `a* (?:y)? b*`. Capture groups are left alone (a backreference may need them).
 */
export function absorbAdjacentLoops(tree: Node, notes: string[]): Node {
  let atomics = 0;
  const nextName = (): string => `dd${atomics++}`;
  const fixed = atomicLastLoops(mapTree(tree, (n) => (n.type === 'seq' ? repairSeq(flatten(n.items), nextName) : n)), nextName);
  return mapTree(fixed, (n) => (n.type === 'repeat' && n.max > 1 ? splitAtSeparator(n, notes) : n));
}

const NOT_NEWLINE = complement(single(10));

/**
 * A loop over every character after which the rule can only match empty text up to its final `$`
 * (`(?: for (?<user>\S+|.*?))?(?: port \d+){0,3}\s*$`, sshd.conf): whatever it stops at, the rest of the
 * line must then fit the optional tail, so letting it take the whole rest of the line at once, atomically,
 * accepts the same lines — and the tail no longer splits the rest with it in every possible way.
 */
function atomicLastLoops(tree: Node, nextName: () => string): Node {
  if (tree.type !== 'seq' || tree.items.at(-1)?.type !== 'assert' || (tree.items.at(-1) as { kind?: string }).kind !== '$') return tree;
  const loops: Repeat[] = [];
  const visit = (n: Node, last: boolean): void => {
    if (n.type === 'repeat' && n.max === Infinity && n.body.type === 'char' && isSubset(NOT_NEWLINE, n.body.set) && last) loops.push(n);
    if (n.type === 'seq') n.items.forEach((item, i) => visit(item, last && n.items.slice(i + 1).every(nullable)));
    else if (n.type === 'alt') n.alts.forEach((a) => visit(a, last));
    else if (n.type === 'group' && (n.kind === 'plain' || n.kind === 'capture')) visit(n.body, last);
    else if (n.type === 'repeat' && n.max <= 1) visit(n.body, last);
  };
  visit(tree, true);
  if (loops.length === 0) return tree;
  return mapTree(tree, (n) => (n.type === 'repeat' && loops.includes(n) ? atomic({ ...n, lazy: false }, nextName()) : n));
}

/**
 * `(?: \S+=\d+)*` (postfix.conf) splits each `a=b=1` in several ways per repetition: exponential. Inside a
 * repetition, a loop over a set that holds the one character right after it is made to stop at that
 * character (`[^\s=]+=`). This does change what matches (a key can no longer hold the separator), so it is
 * noted in the converted file.
 */
function splitAtSeparator(r: Repeat, notes: string[]): Node {
  const body = r.body.type === 'group' && (r.body.kind === 'plain' || r.body.kind === 'capture') ? r.body.body : r.body;
  if (body.type !== 'seq') return r;
  let changed = false;
  const items = body.items.map((item, k) => {
    const next = body.items[k + 1];
    const sep = next?.type === 'char' ? onlyUnit(next.set) : undefined;
    if (item.type !== 'repeat' || item.max <= 1 || item.body.type !== 'char' || sep === undefined) return item;
    const set = item.body.set;
    if (!set.some(([lo, hi]) => sep >= lo && sep <= hi)) return item;
    const c = classCharSrc(sep);
    const src = item.body.src === '\\S' ? `[^\\s${c}]` : item.body.src === '[^\\n]' || item.body.src === '.' ? `[^\\n${c}]` : classSrc(subtract(set, single(sep)), false);
    notes.push(`${item.body.src}${item.max === Infinity ? (item.min === 0 ? '*' : '+') : ''} before "${String.fromCharCode(sep)}" inside a repetition became ${src}: fail2ban's form takes exponential time`);
    changed = true;
    return { ...item, body: { ...item.body, set: subtract(set, single(sep)), src } };
  });
  if (!changed) return r;
  const seq: Node = { ...body, items };
  return { ...r, body: r.body === body ? seq : { ...r.body, body: seq } as Node };
}

/** `(?=(?<name>loop))\k<name>`: the loop, matched once and never backtracked into. */
function atomic(loop: Repeat, name: string): Node {
  const { start, end } = loop;
  const capture: Node = { type: 'group', kind: 'capture', name, body: loop, start, end };
  return {
    type: 'group', kind: 'plain', start, end,
    body: { type: 'seq', start, end, items: [{ type: 'group', kind: 'ahead', body: capture, start, end }, { type: 'backref', ref: name, start, end }] },
  };
}

function flatten(items: readonly Node[]): Node[] {
  return items.flatMap((i) => {
    if (i.type === 'group' && i.kind === 'plain') return i.body.type === 'seq' ? flatten(i.body.items) : [i.body];
    if (i.type === 'seq') return flatten(i.items);
    return [i];
  });
}

const NEWLINE = single(10);
/** A line holds no newline, so a quantifier's newline is never a difference. */
const charBody = (r: Repeat): CharSet | undefined => (r.body.type === 'char' ? subtract(r.body.set, NEWLINE) : undefined);
const nullable = (n: Node): boolean => minLength(n) === 0;

function minLength(n: Node): number {
  switch (n.type) {
    case 'char': return 1;
    case 'seq': return n.items.reduce((a, i) => a + minLength(i), 0);
    case 'alt': return Math.min(...n.alts.map(minLength));
    case 'group': return n.kind === 'plain' || n.kind === 'capture' ? minLength(n.body) : 0;
    case 'repeat': return n.min * minLength(n.body);
    case 'macro': return 1;
    default: return 0;
  }
}

function repairSeq(input: Node[], nextName: () => string): Node {
  const items = [...input];
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!;
    if (isZeroWidth(a)) continue;
    let j = i + 1;
    const between: number[] = [];
    while (j < items.length && (isZeroWidth(items[j]!) || (nullable(items[j]!) && !firstLoop(items[j]!)))) {
      if (!isZeroWidth(items[j]!)) between.push(j);
      j++;
    }
    const b = items[j];
    const second = b ? firstLoop(b) : undefined;
    if (!second) continue;
    const tails = lastLoops(a, false);
    const contained = tails.filter((t) => containedIn(t.loop, second, between.map((k) => items[k]!)));
    if (contained.length > 0) {
      const names = new Map(contained.filter((t) => t.repeated).map((t) => [t.loop as Node, nextName()]));
      const reduced = new Set<Node>(contained.map((t) => t.loop));
      items[i] = mapTree(a, (n) => {
        if (n.type !== 'repeat' || !reduced.has(n)) return n;
        const name = names.get(n);
        if (name !== undefined) return atomic(n, name);
        return n.min === 0 ? empty(n.start) : { ...n, max: n.min, lazy: false };
      });
      continue;
    }
    for (const { loop: first } of tails) {
      const s1 = charBody(first), s2 = charBody(second);
      if (a === first && first.max === Infinity && second === b && s1 && s2 && isSubset(s2, s1) && second.min === 0) {
        if (between.length === 0) { items[j] = empty(second.start); break; }
        const y = items[between[0]!]!;
        if (between.length === 1 && y.type === 'repeat' && y.min === 0 && y.max === 1) {
          const inner: Node = { type: 'seq', items: [y.body, second], start: y.start, end: second.end };
          items[between[0]!] = { ...y, body: { type: 'group', kind: 'plain', body: inner, start: y.start, end: second.end } };
          items[j] = empty(second.start);
          break;
        }
      }
    }
  }
  const kept = items.filter((n) => !(n.type === 'seq' && n.items.length === 0));
  return kept.length === 1 ? kept[0]! : { type: 'seq', items: kept, start: input[0]?.start ?? 0, end: input[input.length - 1]?.end ?? 0 };
}

/** The quantifiers over one character set that can end `n`'s match; `repeated` when inside a repetition. */
function lastLoops(n: Node, repeated: boolean): { loop: Repeat; repeated: boolean }[] {
  switch (n.type) {
    case 'repeat':
      if (n.max > n.min && n.max > 1 && charBody(n)) return [{ loop: n, repeated }];
      return lastLoops(n.body, repeated || n.max > 1);
    case 'group': return n.kind === 'plain' || n.kind === 'capture' ? lastLoops(n.body, repeated) : [];
    case 'seq': {
      const out: { loop: Repeat; repeated: boolean }[] = [];
      for (let k = n.items.length - 1; k >= 0; k--) {
        const item = n.items[k]!;
        if (isZeroWidth(item)) continue;
        out.push(...lastLoops(item, repeated));
        if (!nullable(item)) break;
      }
      return out;
    }
    case 'alt': return n.alts.flatMap((a) => lastLoops(a, repeated));
    default: return [];
  }
}

/** The unbounded quantifier `n` starts with, if any. */
function firstLoop(n: Node): Repeat | undefined {
  switch (n.type) {
    case 'repeat': return n.min === 0 && n.max === Infinity ? n : undefined;
    case 'group': return n.kind === 'plain' || n.kind === 'capture' ? firstLoop(n.body) : undefined;
    case 'seq': {
      const first = n.items.find((i) => !isZeroWidth(i));
      return first ? firstLoop(first) : undefined;
    }
    default: return undefined;
  }
}

/** Every character a node can match, and whether it repeats a character that can start `lit`. */
function charsOf(n: Node, out: CharSet[], litStart: number | undefined): boolean {
  switch (n.type) {
    case 'char': out.push(subtract(n.set, NEWLINE)); return true;
    case 'seq': return n.items.every((i) => charsOf(i, out, litStart));
    case 'alt': return n.alts.every((a) => charsOf(a, out, litStart));
    case 'group': return n.kind === 'plain' || n.kind === 'capture' ? charsOf(n.body, out, litStart) : true;
    case 'repeat': {
      const inner: CharSet[] = [];
      if (!charsOf(n.body, inner, litStart)) return false;
      if (n.max > 1 && litStart !== undefined && inner.some((s) => s.some(([lo, hi]) => litStart >= lo && litStart <= hi))) return false;
      out.push(...inner);
      return true;
    }
    case 'assert': return true;
    default: return false;
  }
}

/** `second` can take any run of what `first` takes, and the optional text between, wherever they stand. */
function containedIn(first: Repeat, second: Repeat, between: readonly Node[]): boolean {
  const s1 = charBody(first);
  if (!s1) return false;
  let body = second.body;
  while (body.type === 'group' && (body.kind === 'plain' || body.kind === 'capture')) body = body.body;
  let set: CharSet;
  let litStart: number | undefined;
  if (body.type === 'char') {
    set = body.set;
  } else if (body.type === 'seq' && body.items.length === 2 && body.items[0]?.type === 'group' && body.items[0].kind === 'not-ahead' && body.items[1]?.type === 'char') {
    set = body.items[1].set;
    const look = body.items[0].body;
    const lit = look.type === 'seq' ? look.items[0] : look;
    litStart = lit?.type === 'char' ? onlyUnit(lit.set) : undefined;
    if (litStart === undefined || s1.some(([lo, hi]) => litStart! >= lo && litStart! <= hi)) return false;
  } else {
    return false;
  }
  const chars: CharSet[] = [s1];
  if (!between.every((n) => charsOf(n, chars, litStart))) return false;
  return chars.every((c) => isSubset(c, set));
}
