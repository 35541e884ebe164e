import { isZeroWidth } from '../regex/ast.js';
import type { Node, Repeat } from '../regex/ast.js';
import { isSubset, onlyUnit } from '../regex/charset.js';
import type { CharSet } from '../regex/charset.js';
import { empty, mapTree } from './tree.js';

/**
 * Repairs the commonest quadratic shape in fail2ban's patterns without changing what they match: a
 * quantifier over one character set right before an unbounded one that takes every character of it, such as
 * `:\s*.*` or `(?: ssh\d*)?(?:(?! from ).)*$`. The first quantifier can then take its minimum: whatever more
 * it took, the second takes as well (for a tempered `(?:(?!LIT).)*`, as long as no character of the first can
 * start LIT). The language is the same; the safety check would refuse the original.
 */
export function absorbAdjacentLoops(tree: Node): Node {
  const reduce = new Set<Repeat>();
  mapTree(tree, (n) => {
    if (n.type !== 'seq') return n;
    const items = n.items.filter((i) => !isZeroWidth(i));
    for (let i = 0; i + 1 < items.length; i++) {
      const second = firstLoop(items[i + 1]!);
      if (!second) continue;
      for (const first of lastLoops(items[i]!)) if (absorbs(second, first)) reduce.add(first);
    }
    return n;
  });
  if (reduce.size === 0) return tree;
  return mapTree(tree, (n) => {
    if (n.type !== 'repeat' || !reduce.has(n)) return n;
    return n.min === 0 ? empty(n.start) : { ...n, max: n.min, lazy: false };
  });
}

const charBody = (r: Repeat): CharSet | undefined => (r.body.type === 'char' ? r.body.set : undefined);

function lastLoops(n: Node): Repeat[] {
  switch (n.type) {
    case 'repeat':
      if (n.max > n.min && n.max > 1 && charBody(n)) return [n];
      return n.max <= 1 ? lastLoops(n.body) : [];
    case 'group': return n.kind === 'plain' || n.kind === 'capture' ? lastLoops(n.body) : [];
    case 'seq': {
      const items = n.items.filter((i) => !isZeroWidth(i));
      const last = items[items.length - 1];
      return last ? lastLoops(last) : [];
    }
    case 'alt': return n.alts.flatMap(lastLoops);
    default: return [];
  }
}

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

/** `second` can take any run of what `first` takes, wherever it stands. */
function absorbs(second: Repeat, first: Repeat): boolean {
  const s1 = charBody(first);
  if (!s1) return false;
  let body = second.body;
  while (body.type === 'group' && (body.kind === 'plain' || body.kind === 'capture')) body = body.body;
  if (body.type === 'char') return isSubset(s1, body.set);
  // (?!LIT)C: C must take s1, and no character of s1 may start LIT.
  if (body.type !== 'seq' || body.items.length !== 2) return false;
  const [look, char] = body.items;
  if (look?.type !== 'group' || look.kind !== 'not-ahead' || char?.type !== 'char' || !isSubset(s1, char.set)) return false;
  const lit = look.body.type === 'seq' ? look.body.items[0] : look.body;
  const start = lit?.type === 'char' ? onlyUnit(lit.set) : undefined;
  return start !== undefined && !s1.some(([lo, hi]) => start >= lo && start <= hi);
}
