import { describe, expect, it } from 'vitest';
import { anchorOf, findLiteral } from './literal-search.js';

describe('findLiteral', () => {
  it('seeks a text by its uncommon character, and one of common characters whole', () => {
    expect(anchorOf('authentication failure; ')).toBe(22);
    expect(anchorOf('sshd')).toBe(-1);
    expect(anchorOf('[client ')).toBe(-1);
    expect(anchorOf('user=<')).toBe(5);
  });

  it('finds what indexOf finds, from every place, in random texts full of near misses', () => {
    let seed = 17;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    for (const literal of ['authentication failure; ', ';x;', 'a;', ';', 'sshd', 'ab;ab;', ' 40', 'LOGIN FAILED, ']) {
      const anchor = anchorOf(literal);
      // Pieces of the literal, the literal itself, and noise: overlapping and cut-off occurrences.
      const pieces = [literal, literal.slice(1), literal.slice(0, -1), literal.slice(0, 3), ';', ' ', 'x', 'a', '\n'];
      for (let round = 0; round < 200; round++) {
        const text = Array.from({ length: 1 + rnd(40) }, () => pieces[rnd(pieces.length)]).join('');
        for (let from = 0; from <= text.length + 1; from++) {
          expect(findLiteral(text, literal, anchor, from), `${JSON.stringify(literal)} in ${JSON.stringify(text)} from ${from}`)
            .toBe(text.indexOf(literal, from));
        }
      }
    }
  });
});
