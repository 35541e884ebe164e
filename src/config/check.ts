import { isAbsolute, resolve, dirname } from 'node:path';
import { parseDuration } from '../core/duration.js';
import { parseCidr, type Cidr } from '../core/cidr.js';
import type { Raw, RawMap } from './raw.js';
import type { ConfigError, Loc } from './types.js';

/** Collects errors while a tree is validated; every error names file, line and key path. */
export class Checker {
  readonly errors: ConfigError[] = [];
  constructor(readonly configFile: string) {}

  error(at: { file: string; line: number }, key: string, message: string): void {
    this.errors.push({ file: at.file, line: at.line, key, message });
  }

  /** Paths in the config are relative to the file that names them. */
  path(node: Raw, value: string): string {
    return isAbsolute(value) ? value : resolve(dirname(node.file), value);
  }
}

export const loc = (node: Raw): Loc => ({ file: node.file, line: node.line });
export const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

const describe = (node: Raw): string =>
  node.kind === 'map' ? 'a mapping' : node.kind === 'seq' ? 'a list' :
  node.value === null ? 'empty' : `${typeof node.value} ${JSON.stringify(node.value)}`;

/** The field kinds a plug-in's option spec can ask for, with the TypeScript type each yields. */
export interface FieldTypes {
  string: string;
  path: string;
  int: number;
  number: number;
  bool: boolean;
  duration: number;
  argv: string[];
  strings: string[];
  cidrs: Cidr[];
  map: Record<string, string>;
}
export interface Field<K extends keyof FieldTypes = keyof FieldTypes> {
  readonly type: K;
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly oneOf?: readonly string[];
  readonly description?: string;
}
export type Spec = Readonly<Record<string, Field>>;
export type Infer<S extends Spec> = {
  -readonly [K in keyof S]: S[K] extends { required: true } ? FieldTypes[S[K]['type']] : FieldTypes[S[K]['type']] | undefined;
};

/** Reports keys of `node` not in `allowed`. Returns the map, or undefined (with an error) if it is none. */
export function mapOf(c: Checker, node: Raw, path: string, allowed: readonly string[]): RawMap | undefined {
  if (node.kind !== 'map') {
    c.error(node, path, `expected a mapping, got ${describe(node)}`);
    return undefined;
  }
  for (const [k, e] of node.entries) {
    if (!allowed.includes(k)) {
      const near = allowed.find((a) => similar(a, k));
      c.error({ file: e.file, line: e.keyLine }, join(path, k), `unknown key "${k}"${near ? ` (did you mean "${near}"?)` : ''}`);
    }
  }
  return node;
}

function similar(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  let same = 0;
  for (const ch of new Set(b)) if (a.includes(ch)) same++;
  return same >= Math.max(a.length, b.length) - 2;
}

export function field<K extends keyof FieldTypes>(c: Checker, node: Raw, path: string, f: Field<K>): FieldTypes[K] | undefined {
  const bad = (what: string): undefined => { c.error(node, path, `${what}, got ${describe(node)}`); return undefined; };
  const v = node.kind === 'scalar' ? node.value : undefined;
  type R = FieldTypes[K];
  switch (f.type) {
    case 'string':
    case 'path': {
      if (typeof v !== 'string' && typeof v !== 'number') return bad('expected a string');
      const s = String(v);
      if (f.oneOf && !f.oneOf.includes(s)) {
        c.error(node, path, `"${s}" is not one of ${f.oneOf.map((o) => `"${o}"`).join(', ')}`);
        return undefined;
      }
      return (f.type === 'path' ? c.path(node, s) : s) as R;
    }
    case 'int':
    case 'number': {
      if (typeof v !== 'number' || (f.type === 'int' && !Number.isInteger(v))) return bad(`expected ${f.type === 'int' ? 'an integer' : 'a number'}`);
      if (f.min !== undefined && v < f.min) { c.error(node, path, `must be at least ${f.min}, got ${v}`); return undefined; }
      if (f.max !== undefined && v > f.max) { c.error(node, path, `must be at most ${f.max}, got ${v}`); return undefined; }
      return v as R;
    }
    case 'bool':
      return typeof v === 'boolean' ? (v as R) : bad('expected true or false');
    case 'duration': {
      if (typeof v !== 'string') return bad('expected a duration such as 90s, 10m, 1h, 7d or 1w');
      const ms = parseDuration(v);
      if (ms === undefined) { c.error(node, path, `invalid duration "${v}": use a number with s, m, h, d or w, such as 90s, 10m, 1h, 7d, 1w`); return undefined; }
      return ms as R;
    }
    case 'argv':
    case 'strings': {
      if (node.kind !== 'seq') return bad('expected a list of strings');
      const out: string[] = [];
      node.items.forEach((item, i) => {
        if (item.kind === 'scalar' && (typeof item.value === 'string' || typeof item.value === 'number')) out.push(String(item.value));
        else c.error(item, join(path, i), `expected a string, got ${describe(item)}`);
      });
      if (f.type === 'argv' && out.length === 0) { c.error(node, path, 'expected a command as a non-empty list: [program, arg, …]'); return undefined; }
      return out as R;
    }
    case 'cidrs': {
      const items = node.kind === 'seq' ? node.items : [node];
      const out: Cidr[] = [];
      items.forEach((item, i) => {
        const s = item.kind === 'scalar' ? item.value : undefined;
        const cidr = typeof s === 'string' ? parseCidr(s) : undefined;
        if (cidr) out.push(cidr);
        else c.error(item, node.kind === 'seq' ? join(path, i) : path, `invalid address or CIDR ${JSON.stringify(s ?? describe(item))}`);
      });
      return out as R;
    }
    case 'map': {
      if (node.kind !== 'map') return bad('expected a mapping');
      const out: Record<string, string> = {};
      for (const [k, e] of node.entries) {
        if (e.node.kind === 'scalar' && e.node.value !== null && typeof e.node.value !== 'object') out[k] = String(e.node.value);
        else c.error(e.node, join(path, k), `expected a string, got ${describe(e.node)}`);
      }
      return out as R;
    }
  }
  return undefined;
}

/** Validates a mapping against a spec (plus any `extra` keys the caller reads itself). */
export function checkSpec<S extends Spec>(c: Checker, node: Raw, path: string, spec: S, extra: readonly string[] = []): Infer<S> | undefined {
  const map = mapOf(c, node, path, [...Object.keys(spec), ...extra]);
  if (!map) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(spec)) {
    const e = map.entries.get(k);
    if (!e || (e.node.kind === 'scalar' && e.node.value === null && !f.required)) {
      if (f.required) c.error(map, join(path, k), `missing required key "${k}"`);
      continue;
    }
    out[k] = field(c, e.node, join(path, k), f);
  }
  return out as Infer<S>;
}

export const entry = (node: RawMap | undefined, key: string): Raw | undefined => node?.entries.get(key)?.node;
