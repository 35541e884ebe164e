import type { Node } from './ast.js';

/**
 * What is left of a regex tree once a macro has matched at its very start: of the paths through `tree` that
 * begin with the macro `name` (everything before it in the path having matched nothing), what they go on
 * with. `undefined` when no path begins with it. Used to read what a filter's `<SYSLOG>` can be followed by
 * (filters/line-start.ts), so that a line whose head `<SYSLOG>` may match in several ways goes only to the
 * filters that can go on where one of those ways ends.
 *
 * A superset, never a guess: a part is taken as able to match nothing wherever that is not sure (a lookaround,
 * an assertion, a backreference, another macro), which only adds paths; lookarounds are dropped.
 */
export function afterLeading(tree: Node, name: string): Node | undefined {
  const d = (node: Node): Node | undefined => {
    switch (node.type) {
      case 'macro': return node.name === name ? { type: 'seq', items: [], start: node.start, end: node.start } : undefined;
      case 'group': return node.kind === 'capture' || node.kind === 'plain' ? d(node.body) : undefined;
      case 'alt': return alt(node, node.alts.map(d));
      case 'cond': return alt(node, [d(node.yes), d(node.no)]);
      case 'seq': {
        const paths: (Node | undefined)[] = [];
        for (let i = 0; i < node.items.length; i++) {
          const first = d(node.items[i]!);
          if (first !== undefined) paths.push({ type: 'seq', items: [first, ...node.items.slice(i + 1)], start: node.start, end: node.end });
          if (!canBeEmpty(node.items[i]!)) break;
        }
        return alt(node, paths);
      }
      case 'repeat': {
        if (node.max < 1) return undefined;
        const first = d(node.body);
        if (first === undefined) return undefined;
        // The macro starts one round; the rounds after it are the rest (a round before it matched nothing).
        const rest: Node = { ...node, min: Math.max(0, node.min - 1), max: node.max - 1 };
        return { type: 'seq', items: [first, rest], start: node.start, end: node.end };
      }
      default: return undefined;
    }
  };
  return d(tree);
}

const alt = (at: Node, paths: readonly (Node | undefined)[]): Node | undefined => {
  const alts = paths.filter((p): p is Node => p !== undefined);
  if (alts.length === 0) return undefined;
  return alts.length === 1 ? alts[0] : { type: 'alt', alts, start: at.start, end: at.end };
};

/** Whether `node` may match the empty string; true where unsure (a macro, a backreference), which only adds paths. */
export function canBeEmpty(node: Node): boolean {
  switch (node.type) {
    case 'char': return false;
    case 'group': return node.kind === 'capture' || node.kind === 'plain' ? canBeEmpty(node.body) : true;
    case 'seq': return node.items.every(canBeEmpty);
    case 'alt': return node.alts.some(canBeEmpty);
    case 'cond': return canBeEmpty(node.yes) || canBeEmpty(node.no);
    case 'repeat': return node.min === 0 || canBeEmpty(node.body);
    default: return true;
  }
}
