import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/seeded.js';
import type { Node } from './ast.js';
import { parseRegex } from './parse.js';
import { startMarker } from './starts.js';

const WIDTH = 6;
type Macro = (name: string, at: number) => Node | 'never' | 'any';

/** The table of `source` (anchored at the start), every macro read as `macro` says. */
function tableOf(source: string, macro: Macro = () => 'any'): Uint8Array {
  const table = new Uint8Array(WIDTH * 256);
  const m = startMarker(WIDTH, table, macro);
  m.end(m.walk(parseRegex(source, { dialect: 'js', macros: new Set(['M']) }), 1));
  return table;
}

/** Row `i` of a table as the characters it lets through among `alphabet` ('*' for all 256 columns). */
function rows(table: Uint8Array, alphabet = 'abcxyz019 .'): string[] {
  return Array.from({ length: WIDTH }, (_, i) => {
    const row = table.subarray(i * 256, i * 256 + 256);
    return row.every((x) => x === 1) ? '*' : [...alphabet].filter((c) => row[c.charCodeAt(0)] === 1).join('');
  });
}

const passes = (table: Uint8Array, line: string): boolean =>
  [...line.slice(0, WIDTH)].every((c, i) => table[i * 256 + Math.min(c.charCodeAt(0), 255)] === 1);

describe('startMarker', () => {
  it('reads sequences, alternatives and classes place by place, and any character once a match can end', () => {
    expect(rows(tableOf('abc'))).toEqual(['a', 'b', 'c', '*', '*', '*']);
    expect(rows(tableOf('ab|xyz'))).toEqual(['ax', 'by', '*', '*', '*', '*']);
    expect(rows(tableOf('[a-c]\\d x'))).toEqual(['abc', '019', ' ', 'x', '*', '*']);
    expect(rows(tableOf('(?:a|b)(x)z.'))).toEqual(['ab', 'x', 'z', 'abcxyz019 .', '*', '*']);
  });

  it('reads repeats from their fewest to their most rounds, unbounded ones until nothing changes', () => {
    expect(rows(tableOf('\\d{2,3}xyzb'))).toEqual(['019', '019', 'x019', 'xy', 'yz', 'bz']);
    expect(rows(tableOf('a*b'))).toEqual(['ab', '*', '*', '*', '*', '*']);
    expect(rows(tableOf('(?:ab)+c'))).toEqual(['a', 'b', 'ac', '*', '*', '*']);
    expect(rows(tableOf('a{0}b?c{1000}'))).toEqual(['bc', 'c', 'c', 'c', 'c', 'c']);
    expect(rows(tableOf('(?:a?)*b(?:|c)*x'))).toEqual(['ab', 'abcx', '*', '*', '*', '*']);
  });

  it('lets through anything a construct it does not read could match: lookarounds, backreferences, macros', () => {
    expect(rows(tableOf('(?=x)ab'))).toEqual(['a', 'b', '*', '*', '*', '*']);
    expect(rows(tableOf('(?!a)b(?<=b)c'))).toEqual(['b', 'c', '*', '*', '*', '*']);
    expect(rows(tableOf('(a)x\\1yz'))).toEqual(['a', 'x', '*', '*', '*', '*']);
    expect(rows(tableOf('ab<M>c'))).toEqual(['a', 'b', '*', '*', '*', '*']);
  });

  it('reads a macro as the tree its caller gives for the place, and not at all where the caller says never', () => {
    const digits = parseRegex('\\d\\d', { dialect: 'js' });
    const atStartNever: Macro = (name, at) => (at === 0 ? 'never' : digits);
    expect(rows(tableOf('(?:<M>a|xy)z', atStartNever))).toEqual(['x', 'y', 'z', '*', '*', '*']);
    expect(rows(tableOf('x<M>a', atStartNever))).toEqual(['x', '019', '019', 'a', '*', '*']);
    expect(rows(tableOf('<M>', () => 'never'))).toEqual(['', '', '', '', '', '']);
  });

  it('refuses a width it cannot hold in a mask, or a table too small', () => {
    expect(() => startMarker(0, new Uint8Array(0), () => 'any')).toThrow(RangeError);
    expect(() => startMarker(31, new Uint8Array(31 * 256), () => 'any')).toThrow(RangeError);
    expect(() => startMarker(4, new Uint8Array(3 * 256), () => 'any')).toThrow(RangeError);
  });

  // The property the router relies on: a line the regex matches always passes the table. Random regexes over a
  // small alphabet, with every construct the marker reads or skips, against random lines, decided by V8 itself.
  it('lets through every line the regex matches, for random regexes and lines', () => {
    const rnd = seededRandom(20261127);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    const atoms = ['a', 'b', 'x', '1', '.', '[ab]', '[^a]', '\\d', '\\s', '\\S', ' ', '\\b', '$', '^'];
    const quantifiers = ['', '', '', '?', '*', '+', '{2}', '{0,2}', '{1,3}', '*?', '{2,}'];
    const regex = (depth: number): string => {
      const n = 1 + Math.floor(rnd() * 4);
      let out = '';
      for (let i = 0; i < n; i++) {
        const r = rnd();
        let atom: string;
        if (depth > 0 && r < 0.15) atom = `(?:${regex(depth - 1)}|${regex(depth - 1)})`;
        else if (depth > 0 && r < 0.25) atom = `(${regex(depth - 1)})`;
        else if (depth > 0 && r < 0.3) atom = `(?=${regex(depth - 1)})`;
        else if (depth > 0 && r < 0.35) atom = `(?!${regex(depth - 1)})`;
        else if (r < 0.38 && out.includes('(') && !out.includes('(?')) atom = '\\1';
        else atom = pick(atoms);
        out += atom + (atom === '\\b' || atom === '$' || atom === '^' || atom.startsWith('(?=') || atom.startsWith('(?!') ? '' : pick(quantifiers));
      }
      return out;
    };
    const letters = ['a', 'b', 'x', '1', '2', ' ', '\t', 'é'];
    let matched = 0, refused = 0, checked = 0;
    for (let k = 0; k < 1500; k++) {
      const source = regex(2);
      const re = new RegExp(`^(?:${source})`);
      const table = tableOf(source);
      for (let l = 0; l < 60; l++) {
        const line = Array.from({ length: Math.floor(rnd() * 9) }, () => pick(letters)).join('');
        if (!re.test(line)) {
          if (!passes(table, line)) refused++;
          continue;
        }
        matched++;
        if (!passes(table, line)) throw new Error(`/${source}/ matches ${JSON.stringify(line)}, which its table refuses`);
      }
      checked++;
    }
    expect(checked).toBe(1500);
    // Enough matches to mean something, and tables that do refuse lines (a table of all ones would pass).
    expect(matched).toBeGreaterThan(5000);
    expect(refused).toBeGreaterThan(5000);
  });
});
