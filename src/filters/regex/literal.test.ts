import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../core/seeded.js';
import { describe, expect, it } from 'vitest';
import { expandMacros, ruleLiteralText, ruleSource } from '../compile.js';
import { loadFilterFile, shippedFiltersDir } from '../load.js';
import { requiredLiteral } from './literal.js';
import { parseRegex } from './parse.js';

const literalOf = (source: string, known: readonly string[] = []): string =>
  requiredLiteral(parseRegex(source, { dialect: 'js' }), known);


describe('requiredLiteral', () => {
  it.each([
    ['abc', 'abc'],
    ['^abc$', 'abc'],
    ['a(?:bc)d', 'abcd'],
    ['a(?=b)b', 'ab'],
    ['x\\d+ failed for (?<u>.*) from', ' failed for '],
    ['(?:ab){2}c', 'ababc'],
    ['(?:abc)+x', 'abcx'],
    ['ab(?:cd|ce)fgh', 'fgh'],
    ['(?:cd|ce)', ''],
    ['a?bcd', 'bcd'],
    ['abc(?:d)?e', 'abc'],
    ['[a]bc', 'abc'],
    ['[ab]cd', 'cd'],
    ['(a)bc\\1de', 'abc'],
    ['(?:xy)+zw', 'xyzw'],
    ['zw(?:xy)+', 'zwxy'],
    ['a.{2}bcde', 'bcde'],
  ])('%s → %s', (source, literal) => {
    expect(literalOf(source)).toBe(literal);
  });

  // A text the line is known to hold (the filter's prefilter) is passed over for the next longest.
  it.each([
    ['\\[client \\d+\\] AH0161[78]: user ', [], '[client '],
    ['\\[client \\d+\\] AH0161[78]: user ', ['[client '], '] AH0161'],
    ['\\[client \\d+\\] AH0161[78]: user ', ['a [client 1'], '] AH0161'],
    // Only a text inside every known one is certain to be in the line.
    ['\\[client \\d+\\] AH0161[78]: user ', ['[client ', 'SMTP '], '[client '],
    ['\\[client \\d+\\] AH0161[78]: user ', ['[client ', 'a [client 1'], '] AH0161'],
    ['\\[client x\\] AH0161[78]: user ', ['[client '], '[client x] AH0161'],
    ['abc(?:d|e)fg', ['abc'], 'fg'],
    ['abc', ['xabcx'], ''],
    ['abc(?:d|e)bc', ['abc'], ''],
  ])('%s knowing %j → %s', (source, known, literal) => {
    expect(literalOf(source, known)).toBe(literal);
  });

  // The promise the filter relies on: a rule whose literal is not in a line cannot match it. Random patterns
  // over a small alphabet, random lines over it: every match must contain the literal.
  it('is found in every match of random patterns', () => {
    const rnd = seededRandom(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const atom = (depth: number): string => {
      const r = rnd();
      if (depth > 2 || r < 0.45) return pick(['a', 'b', 'c', '[ab]', '.', '\\d', '^', '$', '\\b']);
      if (r < 0.6) return `(?:${pattern(depth + 1)})`;
      if (r < 0.7) return `(${pattern(depth + 1)})`;
      if (r < 0.8) return `(?:${pattern(depth + 1)}|${pattern(depth + 1)})`;
      if (r < 0.85) return `(?=${pattern(depth + 1)})`;
      if (r < 0.9) return `(?!${pattern(depth + 1)})`;
      return `(?<=${pick(['a', 'b'])})`;
    };
    const quantified = (depth: number): string => {
      const a = atom(depth);
      if (/^[\^$]|^\\b|^\(\?[=!<]/.test(a)) return a;
      return a + pick(['', '', '', '?', '*', '+', '{2}', '{1,3}', '{0}', '+?']);
    };
    function pattern(depth: number): string {
      return Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => quantified(depth)).join('');
    }
    const text = (n: number): string => Array.from({ length: n }, () => pick(['a', 'b', 'c', '1', ' '])).join('');
    let matched = 0, passedOver = 0;
    for (let i = 0; i < 3000; i++) {
      const source = pattern(0);
      // Half the time a known text or two, as a prefilter: the answer is still in every match, and not in all of them.
      const known = rnd() < 0.5 ? [] : Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => text(1 + Math.floor(rnd() * 4)));
      const literal = literalOf(source, known);
      if (known.length > 0 && literal !== '' && known.every((k) => k.includes(literal))) {
        throw new Error(`/${source}/ knowing ${JSON.stringify(known)} gave "${literal}", which all of them hold`);
      }
      if (known.length > 0 && literal !== literalOf(source)) passedOver++;
      const re = new RegExp(source, 'g');
      for (let j = 0; j < 20; j++) {
        const line = text(Math.floor(rnd() * 12));
        re.lastIndex = 0;
        for (let m = re.exec(line); m !== null; m = re.exec(line)) {
          matched++;
          if (!m[0].includes(literal)) throw new Error(`/${source}/ matched "${m[0]}" in "${line}" without "${literal}"`);
          if (m[0] === '') re.lastIndex++;
        }
      }
    }
    expect(matched).toBeGreaterThan(10_000);
    expect(passedOver).toBeGreaterThan(100);
  });

  it('is in every sample line a shipped rule matches, and most rules have one', () => {
    const dir = shippedFiltersDir;
    const lines = readdirSync(dir).filter((x) => x.endsWith('.samples'))
      .flatMap((x) => readFileSync(join(dir, x), 'utf8').split('\n')).filter((l) => l !== '' && !l.startsWith('#'));
    let rules = 0, withLiteral = 0, matches = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) {
      const def = loadFilterFile(join(dir, f));
      if (!def.ok) throw new Error(`${f} does not load`);
      for (const rule of def.value.failregex) {
        const literal = literalOf(expandMacros(rule), def.value.prefilter);
        const re = new RegExp(ruleSource(def.value.prefix, rule));
        rules++;
        if (literal.length >= 4) withLiteral++;
        for (const line of lines) {
          if (!re.test(line)) continue;
          matches++;
          if (!line.includes(literal)) throw new Error(`${f} rule "${rule}" matches "${line}" without "${literal}"`);
        }
      }
    }
    expect(matches).toBeGreaterThan(300);
    expect(withLiteral / rules).toBeGreaterThan(0.9);
  });
});

describe('ruleLiteralText', () => {
  it('passes over a text the prefilter makes certain, for one of four characters or more', () => {
    expect(ruleLiteralText('\\[client <HOST>:\\d{1,5}\\] AH0161[78]: user ', ['[client '])).toBe('] AH0161');
    expect(ruleLiteralText('\\[client <HOST>:\\d{1,5}\\] AH0161[78]: user ')).toBe('[client ');
  });

  it('keeps the prefilter text where the rule holds no other worth searching for', () => {
    // The other texts (": ", "(") are too short to search for: without a literal the rule would have the prefix
    // tried on every line first.
    expect(ruleLiteralText('auth(?:-worker)?(?:\\(\\d{1,10}\\))?: (?:pam|sql)\\(<HOST>\\)', ['auth'])).toBe('auth');
  });
});
