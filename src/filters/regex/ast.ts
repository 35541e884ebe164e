import type { CharSet } from './charset.js';

/**
 * A regular expression as a tree, for two purposes: the load-time safety analysis (`safety.ts`) and the
 * translation of fail2ban's Python patterns (`fail2ban/`). Every node keeps the span of source it came from,
 * so that an error can quote what the author wrote.
 */
export type Node = Alt | Seq | Group | Repeat | Char | Assert | Backref | Macro | Cond;

interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Alt extends Span { readonly type: 'alt'; readonly alts: readonly Node[] }
export interface Seq extends Span { readonly type: 'seq'; readonly items: readonly Node[] }

export type GroupKind = 'capture' | 'plain' | 'ahead' | 'not-ahead' | 'behind' | 'not-behind';
export interface Group extends Span {
  readonly type: 'group';
  readonly kind: GroupKind;
  /** The name of a named capture group. */
  readonly name?: string;
  readonly body: Node;
}

export interface Repeat extends Span {
  readonly type: 'repeat';
  readonly body: Node;
  readonly min: number;
  /** `Infinity` when unbounded. */
  readonly max: number;
  readonly lazy: boolean;
}

/** One character out of a set: a literal, a class, an escape such as `\S`, or `.`. */
export interface Char extends Span {
  readonly type: 'char';
  readonly set: CharSet;
  /** JavaScript source for the same set. */
  readonly src: string;
}

export interface Assert extends Span { readonly type: 'assert'; readonly kind: '^' | '$' | '\\b' | '\\B' }
export interface Backref extends Span { readonly type: 'backref'; readonly ref: string }
/** `<NAME>`: a DictDefence macro (`<HOST>`) or a fail2ban tag (`<F-USER>`, `<ADDR>`), left for the caller. */
export interface Macro extends Span { readonly type: 'macro'; readonly name: string }
/** Python's `(?(ref)yes|no)`: `yes` when group `ref` took part in the match, else `no`. */
export interface Cond extends Span { readonly type: 'cond'; readonly ref: string; readonly yes: Node; readonly no: Node }

/** A pattern the parser cannot read, or a construct a dialect cannot express; `at` is an offset in the source. */
export class RegexError extends Error {
  constructor(message: string, readonly at: number) {
    super(message);
  }
}

export const isZeroWidth = (node: Node): boolean =>
  node.type === 'assert' || (node.type === 'group' && node.kind !== 'capture' && node.kind !== 'plain');

/** Calls `visit` on `node` and every node below it, parents first. */
export function walk(node: Node, visit: (n: Node) => void): void {
  visit(node);
  switch (node.type) {
    case 'alt': for (const a of node.alts) walk(a, visit); break;
    case 'seq': for (const i of node.items) walk(i, visit); break;
    case 'group': case 'repeat': walk(node.body, visit); break;
    case 'cond': walk(node.yes, visit); walk(node.no, visit); break;
    default: break;
  }
}
