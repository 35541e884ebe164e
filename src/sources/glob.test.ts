import { describe, expect, it } from 'vitest';
import { compileGlob, hasWildcard } from './glob.js';

const matcher = (pattern: string): ((name: string) => boolean) => {
  const g = compileGlob(pattern);
  if (!g.ok) throw new Error(g.error);
  return g.match;
};

describe('file-name globs', () => {
  it('match * and ? within a name, and nothing else', () => {
    const m = matcher('*error.log');
    expect(['error.log', 'a-error.log', 'site.example-error.log'].every(m)).toBe(true);
    expect(['error.log.1', 'error.logs', 'access.log'].some(m)).toBe(false);
    expect(matcher('app?.log')('app1.log')).toBe(true);
    expect(matcher('app?.log')('app12.log')).toBe(false);
  });

  it('match character classes, ranges and negated classes', () => {
    expect(matcher('[ab].log')('a.log')).toBe(true);
    expect(matcher('[ab].log')('c.log')).toBe(false);
    expect(matcher('log.[0-9]')('log.7')).toBe(true);
    expect(matcher('[!a]*.log')('a1.log')).toBe(false);
    expect(matcher('[!a]*.log')('b1.log')).toBe(true);
  });

  it('treat regex characters in the pattern as literal text', () => {
    expect(matcher('a+b(1).log')('a+b(1).log')).toBe(true);
    expect(matcher('a+b(1).log')('aab1.log')).toBe(false);
    expect(matcher('x.log')('xylog')).toBe(false);
  });

  it('skip hidden names unless the pattern starts with a dot, and compressed rotations always', () => {
    expect(matcher('*.log')('.secret.log')).toBe(false);
    expect(matcher('.*.log')('.secret.log')).toBe(true);
    expect(matcher('*.log*')('app.log.2.gz')).toBe(false);
    expect(matcher('*.log*')('app.log.1')).toBe(true);
  });

  it('report an unclosed class', () => {
    expect(compileGlob('[ab.log')).toEqual({ ok: false, error: 'unclosed "[" in "[ab.log"' });
  });

  it('tell a glob from a plain name', () => {
    expect(hasWildcard('auth.log')).toBe(false);
    expect(['*.log', 'a?.log', '[ab].log'].every(hasWildcard)).toBe(true);
  });
});
