import { RegexError } from './ast.js';
import { DIGIT, SPACE, WORD, complement, single, subtract, union, withBothCases } from './charset.js';
import type { CharSet } from './charset.js';
import { classBody, classCharSrc } from './print.js';

/** Escapes and character classes, shared by the JavaScript and Python dialects of `parse.ts`. */
export interface Cursor {
  readonly src: string;
  pos: number;
  /** Python's rules: `]` first in a class is literal, `\a` is BEL, an unknown letter escape is an error. */
  readonly py: boolean;
}

export const ESCAPE_SETS: Readonly<Record<string, CharSet>> = {
  d: DIGIT, D: complement(DIGIT), w: WORD, W: complement(WORD), s: SPACE, S: complement(SPACE),
};
const CONTROL: Readonly<Record<string, number>> = { t: 9, n: 10, v: 11, f: 12, r: 13 };

const fail = (message: string, at: number): never => { throw new RegexError(message, at); };

/** The code unit of an escape that stands for one character (`\n`, `\x41`, `\.`); moves past it. */
export function readEscapedCode(c: Cursor): number {
  const at = c.pos;
  const e = c.src[c.pos + 1]!;
  c.pos += 2;
  if (e in CONTROL) return CONTROL[e]!;
  if (c.py && e === 'a') return 7;
  const hex = (n: number): number => {
    const h = c.src.slice(c.pos, c.pos + n);
    if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(h)) fail(`Invalid \\${e} escape`, at);
    c.pos += n;
    return parseInt(h, 16);
  };
  if (e === 'x') return hex(2);
  if (e === 'u') return hex(4);
  if (e === 'c' && !c.py && /[A-Za-z]/.test(c.src[c.pos] ?? '')) return c.src.charCodeAt(c.pos++) % 32;
  if (e >= '0' && e <= '7') {
    const oct = /^[0-7]{1,3}/.exec(c.src.slice(c.pos - 1))![0];
    c.pos += oct.length - 1;
    return parseInt(oct, 8);
  }
  if (c.py && /[A-Za-z]/.test(e)) fail(`The escape \\${e} has no JavaScript equivalent`, at);
  return e.charCodeAt(0);
}

/** One member of a class: a code unit, or the set of a class escape such as `\d`, with its source. */
function classAtom(c: Cursor): { value: number | CharSet; src: string } {
  const ch = c.src[c.pos]!;
  if (ch !== '\\') {
    c.pos++;
    return { value: ch.charCodeAt(0), src: classCharSrc(ch.charCodeAt(0)) };
  }
  const e = c.src[c.pos + 1];
  const set = e === undefined ? undefined : ESCAPE_SETS[e];
  if (set) {
    c.pos += 2;
    return { value: set, src: `\\${e}` };
  }
  if (e === 'b') {
    c.pos += 2;
    return { value: 8, src: '\\b' };
  }
  const code = readEscapedCode(c);
  return { value: code, src: classCharSrc(code) };
}

/**
 * A class `[…]` at the cursor: its set (negation applied) and JavaScript source. With `ignoreCase` (Python's
 * `(?i)`) the other case of its letters is added before any negation, as Python matches.
 */
export function readClass(c: Cursor, ignoreCase: boolean): { set: CharSet; src: string } {
  const start = c.pos;
  c.pos++;
  const negate = c.src[c.pos] === '^';
  if (negate) c.pos++;
  const parts: CharSet[] = [];
  const srcs: string[] = [];
  let first = true;
  for (;;) {
    const ch = c.src[c.pos];
    if (ch === undefined) fail('Unterminated character class', start);
    if (ch === ']' && !(first && c.py)) break;
    first = false;
    const lo = classAtom(c);
    if (typeof lo.value === 'number' && c.src[c.pos] === '-' && c.src[c.pos + 1] !== ']' && c.src[c.pos + 1] !== undefined) {
      const save = c.pos;
      c.pos++;
      const hi = classAtom(c);
      if (typeof hi.value === 'number') {
        if (hi.value < lo.value) fail('Range out of order in character class', save);
        parts.push([[lo.value, hi.value]]);
        srcs.push(`${lo.src}-${hi.src}`);
        continue;
      }
      // `[\d-x]`: a class escape cannot end a range, so the `-` is literal (Annex B; Python the same).
      parts.push(single(lo.value), single(0x2d), hi.value);
      srcs.push(lo.src, '\\-', hi.src);
      continue;
    }
    parts.push(typeof lo.value === 'number' ? single(lo.value) : lo.value);
    srcs.push(lo.src);
  }
  c.pos++;
  let set = union(...parts);
  if (ignoreCase) {
    const both = withBothCases(set);
    srcs.push(classBody(subtract(both, set)));
    set = both;
  }
  return { set: negate ? complement(set) : set, src: `[${negate ? '^' : ''}${srcs.join('')}]` };
}
