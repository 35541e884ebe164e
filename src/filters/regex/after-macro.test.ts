import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../core/seeded.js';
import { afterLeading, canBeEmpty } from './after-macro.js';
import { parseRegex } from './parse.js';
import { startMarker } from './starts.js';

const WIDTH = 6;
const parse = (source: string): ReturnType<typeof parseRegex> => parseRegex(source, { dialect: 'js', macros: new Set(['M']) });

/** What `source` can go on with where a `<M>` it starts with ends: its table, every other macro any text. */
function tableAfter(source: string): Uint8Array {
  const table = new Uint8Array(WIDTH * 256);
  const m = startMarker(WIDTH, table, () => 'any');
  const rest = afterLeading(parse(source), 'M');
  if (rest !== undefined) m.end(m.walk(rest, 1));
  return table;
}

/** Row `i` of a table as the characters it lets through among `alphabet` ('*' for all 256 columns). */
function rows(table: Uint8Array, alphabet = 'abhxz1 '): string[] {
  return Array.from({ length: WIDTH }, (_, i) => {
    const row = table.subarray(i * 256, i * 256 + 256);
    return row.every((x) => x === 1) ? '*' : [...alphabet].filter((c) => row[c.charCodeAt(0)] === 1).join('');
  });
}

const passesFrom = (table: Uint8Array, line: string, from: number): boolean =>
  [...line.slice(from, from + WIDTH)].every((c, i) => table[i * 256 + Math.min(c.charCodeAt(0), 255)] === 1);

describe('afterLeading', () => {
  it('keeps the paths that start with the macro, and what they go on with', () => {
    expect(rows(tableAfter('<M>ab'))).toEqual(['a', 'b', '*', '*', '*', '*']);
    expect(rows(tableAfter('(?:<M>a|xy)z'))).toEqual(['a', 'z', '*', '*', '*', '*']);
    expect(rows(tableAfter('(?:x|(<M>))b'))).toEqual(['b', '*', '*', '*', '*', '*']);
    // Nothing before the macro may have matched anything: a path that starts otherwise is not one of these.
    expect(rows(tableAfter('x<M>a'))).toEqual(['', '', '', '', '', '']);
    expect(afterLeading(parse('x<M>a|b'), 'M')).toBeUndefined();
    // …but what can match nothing may come first.
    expect(rows(tableAfter('x?(?:)\\b(?=z)<M>a'))).toEqual(['a', '*', '*', '*', '*', '*']);
  });

  it('starts a round of a repeat with the macro, and goes on with the rounds left', () => {
    expect(rows(tableAfter('(?:<M>a){2}b'))).toEqual(['a', '*', '*', '*', '*', '*']);
    expect(rows(tableAfter('(?:<M>a){1}b'))).toEqual(['a', 'b', '*', '*', '*', '*']);
    expect(rows(tableAfter('(?:<M>a){1,2}b'))).toEqual(['a', '*', '*', '*', '*', '*']);
    expect(rows(tableAfter('(?:<M>a)?b'))).toEqual(['a', 'b', '*', '*', '*', '*']);
    expect(rows(tableAfter('(?:<M>ax)*b'))).toEqual(['a', 'x', '*', '*', '*', '*']);
    expect(rows(tableAfter('(?:<M>a){0}b'))).toEqual(['', '', '', '', '', '']);
  });

  it('takes as able to match nothing only what can, or what it cannot be sure of', () => {
    const empty = (s: string): boolean => canBeEmpty(parse(s));
    expect(['a', 'a+', '(?:a|b)', '[ab]{1,2}', '(a)'].map(empty)).toEqual([false, false, false, false, false]);
    expect(['a?', 'a*', '(?:a|)', '\\b', '(?=a)', '<M>', '(a?)\\1', '(?:a?){3}', ''].map(empty)).toEqual(Array(9).fill(true));
  });

  // What the router relies on: where a line's match starts with the macro, what follows the macro passes the
  // table. Random regexes with macros anywhere (the macro a run of 'h' and a space), against random lines, the
  // macro's end read from V8's own match (each macro a named group; lookarounds' ones are not asked).
  it('lets through what follows the macro in every match that starts with it, for random regexes and lines', () => {
    const rnd = seededRandom(20261128);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    const atoms = ['a', 'b', 'x', 'h', ' ', '[ab]', '[^a]', '\\S', '\\b', '$', '<M>', '<M>', '<M>'];
    const quantifiers = ['', '', '', '?', '*', '+', '{2}', '{0,2}', '{1,3}', '*?', '{2,}'];
    let groups = 0;
    /** The regex for the marker, and the same for V8 with each macro as a head; `named`: its heads are named groups. */
    const regex = (depth: number, named: boolean): [string, string] => {
      const n = 1 + Math.floor(rnd() * 4);
      let ours = '', v8 = '';
      for (let i = 0; i < n; i++) {
        const r = rnd();
        let atom: [string, string];
        const wrap = (open: string, inner: boolean): [string, string] => {
          const [a, b] = regex(depth - 1, inner), [c, d] = regex(depth - 1, inner);
          return [`${open}${a}|${c})`, `${open}${b}|${d})`];
        };
        if (depth > 0 && r < 0.15) atom = wrap('(?:', named);
        else if (depth > 0 && r < 0.25) atom = wrap('(', named);
        else if (depth > 0 && r < 0.3) atom = wrap('(?=', false);
        else if (depth > 0 && r < 0.35) atom = wrap('(?!', false);
        else {
          const a = pick(atoms);
          atom = [a, a !== '<M>' ? a : named ? `(?<m${groups++}>h+ )` : '(?:h+ )'];
        }
        const q = atom[0] === '\\b' || atom[0] === '$' || atom[0].startsWith('(?=') || atom[0].startsWith('(?!') ? '' : pick(quantifiers);
        ours += atom[0] + q;
        v8 += atom[1] + q;
      }
      return [ours, v8];
    };
    const letters = ['a', 'b', 'x', 'h', 'h', ' ', 'é'];
    let checked = 0, refused = 0;
    for (let k = 0; k < 1500; k++) {
      groups = 0;
      const [source, expanded] = regex(2, true);
      const re = new RegExp(`^(?:${expanded})`, 'd');
      const table = tableAfter(source);
      for (let l = 0; l < 80; l++) {
        // Most lines start as a head would: the matches that start with one are the ones asked about.
        const head = rnd() < 0.7 ? `${'h'.repeat(1 + Math.floor(rnd() * 2))} ` : '';
        const line = head + Array.from({ length: Math.floor(rnd() * 10) }, () => pick(letters)).join('');
        const m = re.exec(line);
        if (m === null) continue;
        for (const [name, span] of Object.entries(m.indices?.groups ?? {})) {
          if (span === undefined || span[0] !== 0) continue;
          checked++;
          if (!passesFrom(table, line, span[1])) throw new Error(`/${source}/ matches ${JSON.stringify(line)} with ${name} first, ending at ${span[1]}, which its table refuses`);
        }
        if (!/h /.test(line) || !passesFrom(table, line, line.indexOf('h ') + 2)) refused++;
      }
    }
    // Enough matches to mean something, and tables that do refuse (a table of all ones would pass them all).
    expect(checked).toBeGreaterThan(3000);
    expect(refused).toBeGreaterThan(3000);
  });
});
