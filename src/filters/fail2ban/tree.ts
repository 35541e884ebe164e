import type { Node } from '../regex/ast.js';

/**
 * Rebuilds a tree bottom-up through `f`, which sees each node after its children were rebuilt and returns
 * the node to use in its place. Nodes are immutable; unchanged subtrees are shared.
 */
export function mapTree(node: Node, f: (n: Node) => Node): Node {
  switch (node.type) {
    case 'alt': {
      const alts = node.alts.map((a) => mapTree(a, f));
      return f(alts.every((a, i) => a === node.alts[i]) ? node : { ...node, alts });
    }
    case 'seq': {
      const items = node.items.map((a) => mapTree(a, f));
      return f(items.every((a, i) => a === node.items[i]) ? node : { ...node, items });
    }
    case 'group': case 'repeat': {
      const body = mapTree(node.body, f);
      return f(body === node.body ? node : { ...node, body });
    }
    case 'cond': {
      const yes = mapTree(node.yes, f), no = mapTree(node.no, f);
      return f(yes === node.yes && no === node.no ? node : { ...node, yes, no });
    }
    default: return f(node);
  }
}

/** The chain of nodes from `root` down to `target` (both included), or `undefined` when it is not below. */
export function pathTo(root: Node, target: Node): Node[] | undefined {
  if (root === target) return [root];
  const children = root.type === 'alt' ? root.alts : root.type === 'seq' ? root.items
    : root.type === 'group' || root.type === 'repeat' ? [root.body] : root.type === 'cond' ? [root.yes, root.no] : [];
  for (const child of children) {
    const p = pathTo(child, target);
    if (p) return [root, ...p];
  }
  return undefined;
}

export const empty = (at: number): Node => ({ type: 'seq', items: [], start: at, end: at });

/** `n` contains `target`. */
export const contains = (n: Node, target: Node): boolean => pathTo(n, target) !== undefined;
