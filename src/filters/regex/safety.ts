import { RegexError, walk } from './ast.js';
import type { Alt, Node, Repeat } from './ast.js';
import { AdjacencyScan, LARGE } from './adjacency.js';
import type { Info } from './adjacency.js';
import { ANY, intersects, union } from './charset.js';
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

/** A bounded repetition at least this long multiplies an ambiguity enough to matter (`(a|a){10}` = 1024 ways). */
const MANY = 10;


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

class Analysis {
  private readonly infos = new Map<Node, Info>();
  private readonly hazards: Hazard[] = [];
  private readonly seen = new Set<string>();

  private readonly adjacency: AdjacencyScan;

  constructor(private readonly source: string) {
    this.adjacency = new AdjacencyScan((n) => this.info(n), (kind, at, message) => this.report(kind, at, message), (n) => this.snip(n));
  }

  run(tree: Node, strict: boolean): Hazard[] {
    walk(tree, (n) => {
      if (n.type === 'repeat') this.checkRepeat(n);
      // A lookaround is zero-width for what surrounds it; what it holds is scanned on its own.
      if (n.type === 'group' && n.kind !== 'capture' && n.kind !== 'plain') this.adjacency.scan(n.body, []);
    });
    this.adjacency.scan(tree, []);
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

}
