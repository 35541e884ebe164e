import { walk } from '../regex/ast.js';
import type { Group, Node } from '../regex/ast.js';
import type { SessionFlag } from '../session.js';
import { mapTree, pathTo } from './tree.js';

/**
 * fail2ban's multi-line tags as DictDefence session flags (docs/filters.md, "Sessions"). fail2ban acts on
 * `<F-MLFFORGET>` and `<F-MLFGAINED>` when their group took part in the match; DictDefence flags a whole
 * rule, so a tag around an optional part or one branch cannot be converted (no shipped filter does that).
 */
export function wholeRuleFlags(tree: Node, tagged: (tag: string) => Group[]): { flags: SessionFlag[] } | { problem: string } {
  const flags: SessionFlag[] = [];
  for (const [tag, flag] of [['MLFGAINED', 'gained'], ['MLFFORGET', 'forget']] as const) {
    const groups = tagged(tag);
    if (groups.length === 0) continue;
    for (const g of groups) {
      const path = pathTo(tree, g) ?? [];
      if (path.some((n) => n.type === 'alt' || n.type === 'cond' || (n.type === 'repeat' && n.min === 0))) {
        return { problem: `<F-${tag}> around an optional part or one alternative: a DictDefence flag covers the whole rule` };
      }
    }
    flags.push(flag);
  }
  return { flags };
}

/**
 * Names the first `<F-USER>` group `user` and the first `<F-ALT_USER>` group `altuser`, the groups a session
 * reads the user name from (fail2ban's ALT_ fills `user` when that is empty). Later ones stay unnamed:
 * JavaScript refuses two groups of one name in a regex.
 */
export function nameUserGroups(tree: Node, tags: ReadonlyMap<string, string>): Node {
  const renames = new Map<string, string>();
  for (const [group, tag] of tags) {
    const to = tag === 'USER' ? 'user' : tag === 'ALT_USER' ? 'altuser' : undefined;
    if (to !== undefined && ![...renames.values()].includes(to)) renames.set(group, to);
  }
  if (renames.size === 0) return tree;
  let present = false;
  walk(tree, (n) => { if (n.type === 'group' && n.name !== undefined && renames.has(n.name)) present = true; });
  if (!present) return tree;
  return mapTree(tree, (n) => (n.type === 'group' && n.name !== undefined && renames.has(n.name) ? { ...n, name: renames.get(n.name) } : n));
}

export const USER_GROUPS: ReadonlySet<string> = new Set(['user', 'altuser']);
