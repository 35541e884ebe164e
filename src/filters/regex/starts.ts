import type { Node } from './ast.js';
import type { CharSet } from './charset.js';

/** Places read at most: a set of places is a bit mask, one bit a place and one for "at or past the last". */
export const MAX_START_WIDTH = 30;

/** Reads regex trees into a table of line starts (see {@link startMarker}). */
export interface StartMarker {
  /** The places a match of `tree` can end at when it starts at one of `from` (a bit mask: 1 is the line's start). */
  walk(tree: Node, from: number): number;
  /** A match can end at the places of `places`: the line may go on with anything there. */
  end(places: number): void;
}

/**
 * What the first `width` characters of a line can be, place by place, if regexes anchored at the line's start
 * are to match it: row `i` of `table` (256 columns, from `i * 256`) is 1 for every unit the line's character
 * `i` can be, column 255 standing for 255 and every unit above. Trees are read in pieces (a prefix, then each
 * rule from where the prefix can end), and what they mark adds up (a union). A superset, never a guess: where
 * a tree gives no certainty (a backreference, a macro the caller cannot resolve) every place from there on
 * takes anything; lookarounds and assertions are skipped, which only ever lets more through.
 *
 * `macro(name, at)` says what the macro `name` met at the place `at` is: a tree to read, `'never'` when it
 * cannot match there (the caller knows the line: `<SYSLOG>` at the start of a line that has no syslog head),
 * or `'any'`.
 */
export function startMarker(width: number, table: Uint8Array, macro: (name: string, at: number) => Node | 'never' | 'any'): StartMarker {
  if (width < 1 || width > MAX_START_WIDTH || table.length < width * 256) throw new RangeError(`width ${width} out of range`);
  const PAST = 1 << width;
  const mark = (at: number, set: CharSet): void => {
    for (const [lo, hi] of set) {
      for (let c = lo; c <= hi && c < 255; c++) table[at * 256 + c] = 1;
      if (hi >= 255) table[at * 256 + 255] = 1;
    }
  };
  const anyFrom = (at: number): void => { table.fill(1, at * 256, width * 256); };
  /** Each place of `places` moved on by one character (a place past the last stays past it). */
  const step = (places: number): number => ((places << 1) | places & PAST) & (2 * PAST - 1);
  /** The places of the mask, the one past the last left out. */
  const each = (places: number, f: (at: number) => void): void => {
    for (let at = 0; at < width; at++) if ((places & (1 << at)) !== 0) f(at);
  };
  // A node walked from the same places marks the same rows and ends at the same places: asked once.
  const seen = new Map<Node, Map<number, number>>();

  /** The places a match of `node` can end at when it starts at one of `from` (a mask). */
  const walk = (node: Node, from: number): number => {
    if (from === 0 || from === PAST) return from;
    let memo = seen.get(node);
    const known = memo?.get(from);
    if (known !== undefined) return known;
    const out = walkNew(node, from);
    if (memo === undefined) seen.set(node, memo = new Map());
    memo.set(from, out);
    return out;
  };

  const walkNew = (node: Node, from: number): number => {
    switch (node.type) {
      case 'char':
        each(from, (at) => mark(at, node.set));
        return step(from);
      case 'assert': return from;
      case 'group': return node.kind === 'capture' || node.kind === 'plain' ? walk(node.body, from) : from;
      case 'seq': {
        let at = from;
        for (const item of node.items) at = walk(item, at);
        return at;
      }
      case 'alt': {
        let out = 0;
        for (const a of node.alts) out |= walk(a, from);
        return out;
      }
      case 'cond': return walk(node.yes, from) | walk(node.no, from);
      case 'repeat': return repeat(node.body, node.min, node.max, from);
      case 'macro': {
        let out = from & PAST;
        each(from, (at) => {
          const m = macro(node.name, at);
          if (m === 'never') return;
          if (m === 'any') { anyFrom(at); out |= PAST; return; }
          out |= walk(m, 1 << at);
        });
        return out;
      }
      case 'backref': {
        const first = Math.clz32(0) - Math.clz32(from & -from) - 1;
        if (first < width) anyFrom(first);
        return PAST;
      }
    }
  };

  /**
   * `min` to `max` matches of `body` in a row. A round's places depend only on the places before it, so the
   * first `min` rounds stop where a round changes nothing; after them, each round walks only the places no
   * round reached before (there are `width + 1` in all, so that ends too).
   */
  const repeat = (body: Node, min: number, max: number, from: number): number => {
    let at = from;
    for (let n = 0; n < min; n++) {
      const next = walk(body, at);
      if (next === at) break;
      at = next;
    }
    let out = at;
    let fresh = at;
    for (let n = min; n < max && fresh !== 0; n++) {
      fresh = walk(body, fresh) & ~out;
      out |= fresh;
    }
    return out;
  };

  return { walk, end: (places) => each(places, anyFrom) };
}
