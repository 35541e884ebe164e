import type { Node, Repeat } from './ast.js';
import { ANY, intersect, intersects, isEmpty, isSubset, onlyUnit } from './charset.js';
import type { CharSet } from './charset.js';

/** What the safety analysis knows of a node: length bounds, possible first characters, all characters. */
export interface Info { readonly min: number; readonly max: number; readonly first: CharSet; readonly chars: CharSet }

/** Quantifiers that can take at least this many characters count as unbounded (`{0,1000}` is, `{1,255}` is not). */
export const LARGE = 256;

export type Report = (kind: 'adjacent' | 'absorbed', at: number, message: string) => void;

interface Open {
  readonly loop: Node;
  /** What one repetition matches (`undefined`: anything, for a backreference). */
  readonly body: Node | undefined;
  readonly set: CharSet;
  /** Nothing required has been matched since the loop. */
  readonly adjacent: boolean;
  /** For a tempered loop `(?:(?!LIT).)*`: LIT, and the literal text seen since the loop (its tail). */
  readonly barrier: string | undefined;
  readonly progress: string;
}

/**
 * The polynomial shapes of `safety.ts`: walks a pattern left to right keeping the unbounded quantifiers that
 * could still take the next character ("open"), and reports a new one that can take the same characters as
 * an open one — `adjacent` when nothing required stands between them, `absorbed` when the first could take
 * what stands between.
 */
export class AdjacencyScan {
  constructor(
    private readonly info: (n: Node) => Info,
    private readonly report: Report,
    private readonly snip: (n: Node) => string,
  ) {}

  private isLoop = (r: Repeat): boolean => r.max === Infinity || r.max >= LARGE;

  /** Unbounded quantifiers still able to take the next character, after matching `n`. */
  scan(n: Node, open: readonly Open[]): Open[] {
    switch (n.type) {
      case 'char':
        return open.filter((o) => isSubset(n.set, o.set)).flatMap((o) => {
          if (o.barrier === undefined) return [{ ...o, adjacent: false }];
          const unit = onlyUnit(n.set);
          const progress = unit === undefined ? '' : (o.progress + String.fromCharCode(unit)).slice(-o.barrier.length);
          return progress === o.barrier ? [] : [{ ...o, adjacent: false, progress }];
        });
      case 'assert': return [...open];
      case 'group': return n.kind === 'capture' || n.kind === 'plain' ? this.scan(n.body, open) : [...open];
      case 'seq': {
        let acc = [...open];
        for (let i = 0; i < n.items.length; i++) {
          const item = n.items[i]!;
          const body = atomicBody(item, n.items[i + 1]);
          if (body) {
            acc = this.enterAtomic(body, acc);
            i++;
          } else {
            acc = this.scan(item, acc);
          }
        }
        return acc;
      }
      case 'alt': return merge(n.alts.map((a) => this.scan(a, open)));
      case 'cond': return merge([this.scan(n.yes, open), this.scan(n.no, open)]);
      case 'backref': case 'macro': return this.enterLoop(n, undefined, ANY, undefined, true, open);
      case 'repeat': {
        if (this.isLoop(n)) {
          this.scan(n.body, []);
          return this.enterLoop(n, n.body, this.info(n.body).chars, temperedBarrier(n), this.info(n).min === 0, open);
        }
        const once = this.scan(n.body, open);
        return n.min === 0 ? merge([open, once]) : once;
      }
    }
  }

  /**
   * `(?=(?<n>X))\k<n>` takes X's whole match once and never gives any back: it can be the second of an
   * overlapping pair (it runs again after each step back of the first) but never the first.
   */
  private enterAtomic(body: Node, open: readonly Open[]): Open[] {
    this.scan(body, []);
    const set = this.info(body).chars;
    for (const o of open) {
      const common = intersect(o.set, set);
      if (isEmpty(common) || !this.fillable(o.body, common) || !this.fillable(body, common)) continue;
      const pair = `"${this.snip(o.loop)}" and "${this.snip(body)}"`;
      if (o.adjacent) this.report('adjacent', body.start, `${pair} follow each other and can match the same characters`);
      else this.report('absorbed', body.start, `${pair} can match the same characters, and the first can also match the text between them`);
    }
    if (this.info(body).min === 0) return [...open];
    return open.filter((o) => isSubset(set, o.set)).map((o) => ({ ...o, adjacent: false, progress: '' }));
  }

  private enterLoop(loop: Node, body: Node | undefined, set: CharSet, barrier: string | undefined, nullable: boolean, open: readonly Open[]): Open[] {
    for (const o of open) {
      // Both must be able to take one long stretch of the same text: repetitions made only of characters
      // both accept. `(?:\S+ )*` and `\S+` cannot (the first needs a space every time), `.*` and `\s+` can.
      const common = intersect(o.set, set);
      if (isEmpty(common) || !this.fillable(o.body, common) || !this.fillable(body, common)) continue;
      const pair = `"${this.snip(o.loop)}" and "${this.snip(loop)}"`;
      if (o.adjacent) this.report('adjacent', loop.start, `${pair} follow each other and can match the same characters`);
      else this.report('absorbed', loop.start, `${pair} can match the same characters, and the first can also match the text between them`);
    }
    const me: Open = { loop, body, set, adjacent: true, barrier, progress: '' };
    if (nullable) return merge([open, [me]]);
    return [...open.filter((o) => isSubset(set, o.set)).map((o) => ({ ...o, adjacent: false, progress: '' })), me];
  }

  /** `body` can match some non-empty text made only of characters in `set` (so it can repeat over a run of them). */
  private fillable(body: Node | undefined, set: CharSet): boolean {
    return body === undefined || this.within(body, set) === 2;
  }

  /** 0: `n` cannot match using only characters of `set`; 1: only the empty text; 2: some non-empty text. */
  private within(n: Node, set: CharSet): 0 | 1 | 2 {
    switch (n.type) {
      case 'char': return intersects(n.set, set) ? 2 : 0;
      case 'assert': return 1;
      case 'backref': case 'macro': return 2;
      case 'group': return n.kind === 'capture' || n.kind === 'plain' ? this.within(n.body, set) : 1;
      case 'repeat': {
        const b = n.max === 0 ? 1 : this.within(n.body, set);
        return b === 0 && n.min === 0 ? 1 : b;
      }
      case 'seq': {
        let best: 0 | 1 | 2 = 1;
        for (const item of n.items) {
          const w = this.within(item, set);
          if (w === 0) return 0;
          if (w === 2) best = 2;
        }
        return best;
      }
      case 'alt': return Math.max(...n.alts.map((a) => this.within(a, set))) as 0 | 1 | 2;
      case 'cond': return Math.max(this.within(n.yes, set), this.within(n.no, set)) as 0 | 1 | 2;
    }
  }
}


/** The same loops, once each: still adjacent if adjacent on any path; a barrier's progress only if all agree. */
function merge(lists: readonly (readonly Open[])[]): Open[] {
  const byLoop = new Map<Node, Open>();
  for (const o of lists.flat()) {
    const had = byLoop.get(o.loop);
    byLoop.set(o.loop, had ? { ...had, adjacent: had.adjacent || o.adjacent, progress: had.progress === o.progress ? o.progress : '' } : o);
  }
  return [...byLoop.values()];
}

/** LIT of a loop written `(?:(?!LIT).)*` (any one-character set in place of `.`), when LIT is plain text. */
function temperedBarrier(r: Repeat): string | undefined {
  let body = r.body;
  while (body.type === 'group' && (body.kind === 'plain' || body.kind === 'capture')) body = body.body;
  if (body.type !== 'seq' || body.items.length !== 2) return undefined;
  const [look, char] = body.items;
  if (look?.type !== 'group' || look.kind !== 'not-ahead' || char?.type !== 'char') return undefined;
  const parts = look.body.type === 'seq' ? look.body.items : [look.body];
  let text = '';
  for (const p of parts) {
    const unit = p.type === 'char' ? onlyUnit(p.set) : undefined;
    if (unit === undefined) return undefined;
    text += String.fromCharCode(unit);
  }
  return text === '' ? undefined : text;
}

/** X of an emulated atomic group: `item` is `(?=(?<n>X))` (or `(?=(X))`) and `next` a backreference to it. */
function atomicBody(item: Node, next: Node | undefined): Node | undefined {
  if (item.type !== 'group' || item.kind !== 'ahead' || next?.type !== 'backref') return undefined;
  const inner = item.body;
  if (inner.type !== 'group' || inner.kind !== 'capture' || inner.name === undefined || inner.name !== next.ref) return undefined;
  return inner.body;
}
