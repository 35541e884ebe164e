import { RegexError, walk } from './ast.js';
import type { Alt, Node, Repeat } from './ast.js';
import { ANY, intersect, intersects, isEmpty, isSubset, onlyUnit, union } from './charset.js';
import type { CharSet } from './charset.js';
import { parseRegex } from './parse.js';

/**
 * The load-time check that keeps a backtracking engine (V8's RegExp) linear on hostile lines.
 *
 * V8 backtracks; a pattern takes more than linear time only where one stretch of text can be split between
 * quantifiers in many ways and the rest of the pattern then fails. Three shapes cause it, found here on the
 * parsed pattern:
 *
 * - `exponential`: a repeated group whose body can be matched in more than one way across repetitions —
 *   nested quantifiers that can take the same characters (`(a+)+`, `(\s*\S*)+`, `(\S+ ?)+`), a body that can
 *   match empty text (`(a*)*`), or overlapping alternatives (`(a|ab)*`, `(\w+|\d)+`).
 * - `adjacent`: two unbounded quantifiers that follow each other with nothing required in between and can
 *   take the same characters (`.*.*`, `\s*\s+`, `\d*(?:x)?.*`): quadratic, ~150 ms for one 8 KiB line.
 * - `absorbed`: the same with fixed text in between that the first can also take (`.* from .*`): quadratic
 *   too, but divided by the length of that text (~18 ms for 8 KiB with ` from `). Refused only in `strict`
 *   mode, which the shipped filters must pass; fail2ban's patterns are full of it.
 *
 * The analysis is conservative: it may refuse a pattern that is in fact linear (say `(ab|ac)*` with the
 * branches told apart only after two characters is accepted, but `(a|ab)*` is refused). A "tempered" loop
 * `(?:(?!LIT).)*` is understood: it cannot run across LIT, so LIT ends what it can absorb.
 */
export type HazardKind = 'exponential' | 'adjacent' | 'absorbed';

export interface Hazard {
  readonly kind: HazardKind;
  readonly message: string;
  /** Offset in the analysed source. */
  readonly at: number;
}

/** Quantifiers that can take at least this many characters count as unbounded (`{0,1000}` is, `{1,255}` is not). */
const LARGE = 256;
/** A bounded repetition at least this long multiplies an ambiguity enough to matter (`(a|a){10}` = 1024 ways). */
const MANY = 10;

interface Info { readonly min: number; readonly max: number; readonly first: CharSet; readonly chars: CharSet }

const EMPTY: CharSet = [];

export function findHazards(source: string, options: { readonly strict: boolean }): Hazard[] {
  let tree: Node;
  try {
    tree = parseRegex(source, { dialect: 'js' });
  } catch (e) {
    if (e instanceof RegexError) return [];
    throw e;
  }
  return new Analysis(source).run(tree, options.strict);
}

/** The first hazard in `source` as an error message, or `undefined` when it is safe. */
export function safetyProblem(source: string, strict = false): string | undefined {
  return findHazards(source, { strict })[0]?.message;
}

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

class Analysis {
  private readonly infos = new Map<Node, Info>();
  private readonly hazards: Hazard[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly source: string) {}

  run(tree: Node, strict: boolean): Hazard[] {
    walk(tree, (n) => {
      if (n.type === 'repeat') this.checkRepeat(n);
      if (n.type === 'group' && n.kind !== 'capture' && n.kind !== 'plain') this.scan(n.body, []);
    });
    this.scan(tree, []);
    const order: Record<HazardKind, number> = { exponential: 0, adjacent: 1, absorbed: 2 };
    return this.hazards.filter((h) => strict || h.kind !== 'absorbed').sort((a, b) => order[a.kind] - order[b.kind] || a.at - b.at);
  }

  private snip(n: Node): string {
    const text = this.source.slice(n.start, n.end);
    return text.length > 48 ? `${text.slice(0, 45)}...` : text;
  }

  private report(kind: HazardKind, at: number, message: string): void {
    const key = `${kind}:${at}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const label = kind === 'absorbed' ? 'Slow pattern' : 'Catastrophic pattern';
    const cost = kind === 'exponential' ? 'exponential time on a line that almost matches' : 'quadratic time on a hostile line';
    this.hazards.push({ kind, at, message: `${label}: ${message} (${cost})` });
  }

  info(n: Node): Info {
    let i = this.infos.get(n);
    if (!i) {
      i = this.compute(n);
      this.infos.set(n, i);
    }
    return i;
  }

  private compute(n: Node): Info {
    switch (n.type) {
      case 'char': return { min: 1, max: 1, first: n.set, chars: n.set };
      case 'assert': return { min: 0, max: 0, first: EMPTY, chars: EMPTY };
      case 'backref': case 'macro': return { min: 0, max: Infinity, first: ANY, chars: ANY };
      case 'group':
        return n.kind === 'capture' || n.kind === 'plain' ? this.info(n.body) : { min: 0, max: 0, first: EMPTY, chars: EMPTY };
      case 'repeat': {
        const b = this.info(n.body);
        const mul = (x: number, k: number): number => (x === 0 || k === 0 ? 0 : x * k);
        return { min: mul(b.min, n.min), max: mul(b.max, n.max), first: n.max === 0 ? EMPTY : b.first, chars: b.chars };
      }
      case 'seq': {
        let min = 0, max = 0, first = EMPTY, open = true;
        const chars: CharSet[] = [];
        for (const item of n.items) {
          const i = this.info(item);
          min += i.min; max += i.max;
          if (open) first = union(first, i.first);
          if (i.min > 0) open = false;
          chars.push(i.chars);
        }
        return { min, max, first, chars: union(...chars) };
      }
      case 'alt': case 'cond': {
        const infos = (n.type === 'alt' ? n.alts : [n.yes, n.no]).map((a) => this.info(a));
        return {
          min: Math.min(...infos.map((i) => i.min)), max: Math.max(...infos.map((i) => i.max)),
          first: union(...infos.map((i) => i.first)), chars: union(...infos.map((i) => i.chars)),
        };
      }
    }
  }

  private isLoop = (r: Repeat): boolean => r.max === Infinity || r.max >= LARGE;

  /** Ambiguity across the repetitions of `r`: the exponential shapes. */
  private checkRepeat(r: Repeat): void {
    if (r.max < 2) return;
    const body = this.info(r.body);
    if (r.max === Infinity && body.min === 0) {
      this.report('exponential', r.start, `"${this.snip(r)}" repeats something that can match empty text`);
      return;
    }
    const big = r.max === Infinity || r.max >= MANY;
    this.follows(r.body, body.first, (inner, follow) => {
      if (inner.type === 'repeat' && inner.min !== inner.max && (big || this.isLoop(inner)) &&
          intersects(this.info(inner.body).first, follow)) {
        this.report('exponential', r.start, `"${this.snip(r)}" repeats "${this.snip(inner)}", which can also match what follows it`);
      }
      if (inner.type === 'alt') {
        const loops = inner.alts.some((a) => this.info(a).max >= LARGE);
        if ((big || loops) && this.branchesOverlap(inner)) {
          this.report('exponential', r.start, `the alternatives of "${this.snip(inner)}" can match the same text and "${this.snip(r)}" repeats them`);
        }
      }
    });
  }

  /** Visits every node of one repetition with the set of characters that can come right after it. */
  private follows(n: Node, follow: CharSet, visit: (n: Node, follow: CharSet) => void): void {
    visit(n, follow);
    switch (n.type) {
      case 'seq': {
        let f = follow;
        for (let i = n.items.length - 1; i >= 0; i--) {
          const item = n.items[i]!;
          this.follows(item, f, visit);
          const info = this.info(item);
          f = info.min === 0 ? union(info.first, f) : info.first;
        }
        break;
      }
      case 'alt': for (const a of n.alts) this.follows(a, follow, visit); break;
      case 'cond': this.follows(n.yes, follow, visit); this.follows(n.no, follow, visit); break;
      case 'group': if (n.kind === 'capture' || n.kind === 'plain') this.follows(n.body, follow, visit); break;
      case 'repeat': this.follows(n.body, n.max >= 2 ? union(this.info(n.body).first, follow) : follow, visit); break;
      default: break;
    }
  }

  private branchesOverlap(alt: Alt): boolean {
    const prefixes = alt.alts.map((a) => this.fixedPrefix(a));
    for (let i = 0; i < prefixes.length; i++) {
      for (let j = i + 1; j < prefixes.length; j++) {
        const a = prefixes[i]!, b = prefixes[j]!;
        let apart = false;
        for (let k = 0; k < Math.min(a.length, b.length); k++) if (!intersects(a[k]!, b[k]!)) { apart = true; break; }
        if (!apart) return true;
      }
    }
    return false;
  }

  /** The sets of the characters a branch starts with, as far as they are fixed (at most 32). */
  private fixedPrefix(n: Node): CharSet[] {
    const out: CharSet[] = [];
    const go = (x: Node): boolean => { // false: stop, what follows is not fixed
      if (out.length >= 32) return false;
      switch (x.type) {
        case 'char': out.push(x.set); return true;
        case 'assert': return true;
        case 'group': return x.kind === 'capture' || x.kind === 'plain' ? go(x.body) : true;
        case 'seq': return x.items.every(go);
        case 'repeat':
          if (x.min === x.max) { for (let k = 0; k < x.min; k++) if (!go(x.body)) return false; return true; }
          if (x.min > 0) go(x.body);
          return false;
        default: out.push(this.info(x).first); return false;
      }
    };
    go(n);
    return out;
  }

  /** Unbounded quantifiers still able to take the next character, after matching `n` (the polynomial shapes). */
  private scan(n: Node, open: readonly Open[]): Open[] {
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
