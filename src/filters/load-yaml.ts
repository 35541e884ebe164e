import type { Document, Node, YAMLMap } from 'yaml';
import { yaml } from './yaml-lazy.js';

// Type checks over the YAML nodes of a filter file, for load.ts: each reports through `fail` with the node's
// line and returns `undefined` on a mismatch, so that one pass reports every problem in the file.

export interface Entry { readonly key: Node | null; readonly value: Node | null }
/** A list item; `map` is set instead of `text` (then `''`) for a mapping, where the list accepts them. */
export interface Item { readonly text: string; readonly node: Node | null; readonly index: number; readonly map?: YAMLMap }
export type Report = (node: Node | null | undefined, key: string, message: string) => void;

/** Type checks over YAML nodes; each reports through `fail` and returns `undefined` on a mismatch. */
export function validator(doc: Document, fail: Report) {
  const resolve = (node: Node | null): Node | null => (yaml().isAlias(node) ? (node.resolve(doc) ?? null) : node);
  return {
    /** The entries of a mapping by key; keys outside `allowed` (when given) are reported as unknown. */
    entries(map: YAMLMap, path: string, allowed: ReadonlySet<string> | undefined): Map<string, Entry> {
      const out = new Map<string, Entry>();
      for (const pair of map.items) {
        const keyNode = (pair.key ?? null) as Node | null;
        const name = yaml().isScalar(keyNode) ? String(keyNode.value) : undefined;
        const where = path ? `${path}.${name ?? '?'}` : (name ?? '?');
        if (name === undefined) {
          fail(keyNode, where, 'Expected a plain key');
        } else if (allowed && !allowed.has(name)) {
          const known = [...allowed].map((k) => `"${k}"`).join(', ');
          fail(keyNode, where, `Unknown key "${name}" (known keys: ${known})`);
        } else {
          out.set(name, { key: keyNode, value: resolve((pair.value ?? null) as Node | null) });
        }
      }
      return out;
    },

    map(entry: Entry, key: string): YAMLMap | undefined {
      if (yaml().isMap(entry.value)) return entry.value;
      fail(entry.value ?? entry.key, key, `Expected a mapping, got ${describe(entry.value)}`);
      return undefined;
    },

    string(entry: Entry | undefined, key: string): string | undefined {
      if (!entry) return undefined;
      if (yaml().isScalar(entry.value) && typeof entry.value.value === 'string') return entry.value.value;
      fail(entry.value ?? entry.key, key, `Expected a string, got ${describe(entry.value)}`);
      return undefined;
    },

    integer(entry: Entry | undefined, key: string, min: number, max: number): number | undefined {
      if (!entry) return undefined;
      const value: unknown = yaml().isScalar(entry.value) ? entry.value.value : undefined;
      if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
      fail(entry.value ?? entry.key, key, `Expected an integer from ${min} to ${max}, got ${describe(entry.value)}`);
      return undefined;
    },

    /**
     * A list of strings; a single string is refused so that a forgotten `-` does not pass unnoticed. With
     * `maps`, an item may also be a mapping (a rule with options), returned as `map` for the caller to check.
     */
    strings(entry: Entry | undefined, key: string, maps = false): Item[] | undefined {
      if (!entry) return undefined;
      const list = entry.value;
      if (!yaml().isSeq(list)) {
        fail(list ?? entry.key, key, `Expected a list of strings, got ${describe(list)}`);
        return undefined;
      }
      const out: Item[] = [];
      list.items.forEach((raw, index) => {
        const node = raw as Node | null;
        const item = resolve(node);
        if (yaml().isScalar(item) && typeof item.value === 'string') out.push({ text: item.value, node, index });
        else if (maps && yaml().isMap(item)) out.push({ text: '', node, index, map: item });
        else fail(item ?? node, `${key}[${index}]`, `Expected a string, got ${describe(item)}`);
      });
      return out;
    },
  };
}

export function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return 'nothing';
  if (yaml().isMap(node)) return 'a mapping';
  if (yaml().isSeq(node)) return 'a list';
  if (yaml().isScalar(node)) {
    const value: unknown = node.value;
    if (value === null) return 'nothing';
    if (typeof value === 'string') return `the string "${value}"`;
    return `the ${typeof value} ${String(value)}`;
  }
  return 'an unsupported value';
}

