import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { ConfigError } from './types.js';

/**
 * A YAML tree that remembers, for every value, the file and line it came from, so that errors found after
 * drop-ins are merged still point at the line an administrator has to fix.
 */
export type Raw = RawMap | RawSeq | RawScalar;
export interface RawBase { readonly file: string; readonly line: number }
export interface RawMap extends RawBase { readonly kind: 'map'; readonly entries: Map<string, RawEntry> }
export interface RawEntry { readonly keyLine: number; readonly file: string; node: Raw }
export interface RawSeq extends RawBase { readonly kind: 'seq'; readonly items: Raw[] }
export interface RawScalar extends RawBase { readonly kind: 'scalar'; readonly value: unknown }

export interface ParsedFile { readonly root: Raw | undefined; readonly errors: ConfigError[] }

/** Reads and parses one YAML file; syntax errors come back as values with their line. */
export function parseYamlFile(file: string): ParsedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { root: undefined, errors: [{ file, line: 0, key: '', message: `Cannot read file: ${(e as Error).message}` }] };
  }
  return parseYamlText(text, file);
}

export function parseYamlText(text: string, file: string): ParsedFile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined): number => (offset === undefined ? 1 : lc.linePos(offset).line);
  const errors: ConfigError[] = doc.errors.map((e) => ({
    file, line: lineOf(e.pos[0]), key: '', message: `Invalid YAML: ${e.message.split('\n')[0]}`,
  }));
  if (errors.length > 0) return { root: undefined, errors };
  const convert = (node: unknown): Raw => {
    const n = node as YamlNode | null;
    const line = lineOf(n?.range?.[0]);
    if (isMap(n)) {
      const entries = new Map<string, RawEntry>();
      for (const pair of n.items) {
        const keyNode = pair.key;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const keyLine = lineOf(isScalar(keyNode) ? keyNode.range?.[0] : undefined);
        entries.set(key, { keyLine, file, node: pair.value === null ? { kind: 'scalar', value: null, file, line: keyLine } : convert(pair.value) });
      }
      return { kind: 'map', entries, file, line };
    }
    if (isSeq(n)) return { kind: 'seq', items: n.items.map(convert), file, line };
    if (isScalar(n)) return { kind: 'scalar', value: n.value, file, line };
    return { kind: 'scalar', value: null, file, line };
  };
  const root = doc.contents === null ? undefined : convert(doc.contents);
  return { root, errors };
}

/**
 * Merges a drop-in over a base: maps merge key by key (so `jails.sshd.enabled: false` in conf.d switches one
 * jail off), lists named in `concat` are appended (the whitelist), anything else is replaced.
 */
export function mergeRaw(base: Raw, over: Raw, concat: ReadonlySet<string>, path = ''): Raw {
  if (base.kind === 'map' && over.kind === 'map') {
    const entries = new Map(base.entries);
    for (const [k, e] of over.entries) {
      const prev = entries.get(k);
      const p = path ? `${path}.${k}` : k;
      entries.set(k, prev ? { ...e, node: mergeRaw(prev.node, e.node, concat, p) } : e);
    }
    return { ...base, entries };
  }
  if (base.kind === 'seq' && over.kind === 'seq' && concat.has(path)) {
    return { ...over, items: [...base.items, ...over.items] };
  }
  return over;
}
