import { describe, expect, it } from 'vitest';
import { HOST_PATTERN } from '../host.js';
import { SYSLOG_PATTERN } from '../line-time.js';
import { findHazards, safetyProblem } from './safety.js';

const kinds = (source: string, strict = true): string[] => findHazards(source, { strict }).map((h) => h.kind);

/** How long one exec of `source` takes on `line`, in ms (the median of three). */
function timeOf(source: string, line: string): number {
  const re = new RegExp(source);
  const times = [0, 1, 2].map(() => {
    const start = performance.now();
    re.exec(line);
    return performance.now() - start;
  });
  return times.sort((a, b) => a - b)[1]!;
}

describe('findHazards', () => {
  it.each([
    '(a+)+b', '(a*)*b', '(?:\\s*\\S*)+x', '(?:\\S+ ?)+$', '(a|a)*b', '(a|ab)*c', '(\\w+|\\d)+!', '(?:\\d+\\d)+x',
    '(?:a?a)+b', '(?:(?:ab)+)+c', '(?:\\S+ ?){1,5}$', '(?:x|y|)*z', '^(?:: (?:\\w+\\([^\\):]*\\) \\w+|[^\\(]+))* \\(',
  ])('finds exponential backtracking in %s', (source) => {
    expect(kinds(source)).toContain('exponential');
  });

  it.each(['.*.*x', '\\s*\\s+x', '\\d+\\d+x', '.*?\\s*$', '\\d*(?:-)?.*$', '(?: ssh\\d*)?(?:(?! from ).)*$', '\\S+(?:x)?\\S+ '])(
    'finds adjacent overlapping quantifiers in %s', (source) => {
      expect(kinds(source, false)).toEqual(['adjacent']);
    });

  it.each(['.* from .*x$', 'a.*b.*c', '^\\S+:\\S+ x', 'for .* from \\d+( via \\S+)?$'])(
    'finds quantifiers that can absorb the text between them in %s, in strict mode only', (source) => {
      expect(new Set(kinds(source))).toEqual(new Set(['absorbed']));
      expect(kinds(source, false)).toEqual([]);
    });

  it.each([
    '^Failed password for .* from \\d{1,3} port \\d{1,5} ssh2$', '(?:\\S+ )*x', '(?:,\\d+)*', '(?:\\d{1,3}\\.){3}\\d{1,3}',
    '(?: (?:port \\d+|on \\S+|\\[preauth\\])){0,3}\\s*$', '(?:user|uid)+=', '(?:ab|ac)*', '[^"]*" .*$',
    'logname=\\S* uid=\\d{1,10} euid=\\d{1,10} tty=\\S* ruser=\\S* rhost=x(?: +user=.*)?$',
    '(?:(?! from ).)*? from x(?:(?! from ).)*$', '\\w+ (?!found\\b)', '(?:\\s+(?:(?:logname|e?uid|tty)=\\S*)){0,4}\\s+ruser=',
    `^${SYSLOG_PATTERN}sshd(?:\\[\\d{1,10}\\])?: Invalid user .* from ${HOST_PATTERN}(?: port \\d{1,5})?$`,
  ])('accepts %s', (source) => {
    expect(findHazards(source, { strict: true })).toEqual([]);
  });

  it('quotes the quantifiers it blames and says what it costs', () => {
    expect(safetyProblem('^x (a+)+$')).toBe(
      'Catastrophic pattern: "(a+)+" repeats "a+", which can also match what follows it (exponential time on a line that almost matches)');
    expect(safetyProblem('^x.*\\s+$')).toBe(
      'Catastrophic pattern: ".*" and "\\s+" follow each other and can match the same characters (quadratic time on a hostile line)');
  });

  it('returns nothing for a source it cannot parse (the RegExp constructor reports those)', () => {
    expect(findHazards('(', { strict: true })).toEqual([]);
  });
});

describe('the hazards it finds are real', () => {
  // Each refused shape is slow on a line built for it, and each accepted rewrite of it is fast. The bound is
  // generous (slow machines, CI); the gap between the two is two to five orders of magnitude.
  it.each([
    ['^a.*.*x$', '^a.*x$', `a${'b'.repeat(8192)}`],
    ['^p\\d*(?:(?! from ).)*$', '^p(?:(?! from ).)*$', `p${'1'.repeat(8192)} from `],
    ['^(?:\\S+ ?)+$', '^(?:\\S+ )*\\S+$', `${'a'.repeat(21)}\t`],
  ])('%s is slow where %s is not', (bad, good, line) => {
    expect(findHazards(bad, { strict: false })).not.toEqual([]);
    expect(findHazards(good, { strict: true })).toEqual([]);
    const slow = timeOf(bad, line), fast = timeOf(good, line);
    expect(fast).toBeLessThan(20);
    expect(slow).toBeGreaterThan(fast * 5);
  });
});
