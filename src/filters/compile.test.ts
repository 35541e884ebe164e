import { describe, expect, it } from 'vitest';
import { checkRule, compileFilter, ruleSource } from './compile.js';
import type { Filter } from './filter.js';
import { HOST_PATTERN } from './host.js';
import { parseFilterText, type FilterDef } from './load.js';

function def(over: Partial<FilterDef>): FilterDef {
  return {
    name: 'test', file: 'test.yaml', description: '', prefix: '', prefilter: undefined,
    failregex: [], ignoreregex: [], modes: new Map(), ...over,
  };
}

function compile(d: Partial<FilterDef>, options: Partial<Parameters<typeof compileFilter>[1]> = {}): Filter {
  const result = compileFilter(def(d), { modes: [], maxLineLength: 8192, ...options });
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('<HOST>', () => {
  const host = new RegExp(`^${HOST_PATTERN}$`);
  it.each(['192.0.2.1', '999.1.2.3', '2001:db8::1', '::1', '::ffff:192.0.2.1', 'fe80::1%eth0', '2001:DB8:0:0:0:0:0:1'])(
    'takes %s as a candidate', (text) => {
      expect(host.exec(text)?.groups?.['host']).toBe(text);
    });
  it.each(['example.com', 'deadbeef', '1.2.3', '1.2.3.4.5', '', 'a:b:c:d:e:f:g:h:i:j:k:l:m:n:o:p:q:r:s:t:u'])(
    'does not take %j as a candidate', (text) => {
      expect(host.test(text)).toBe(false);
    });
});

describe('compileFilter', () => {
  it('anchors every rule at the start of the line and keeps an alternation in the prefix inside its group', () => {
    const f = compile({ prefix: 'a|b', failregex: [': fail <HOST>$'] });
    expect(f.match('b: fail 192.0.2.1')?.address).toBe('192.0.2.1');
    expect(f.match('xa: fail 192.0.2.1')).toBeUndefined();
    expect(f.match('b: fail 192.0.2.1 and more')).toBeUndefined();
    expect(f.rules[0]).toBe(ruleSource('a|b', ': fail <HOST>$'));
  });

  it('returns the canonical address and the index of the rule that matched', () => {
    const f = compile({ failregex: ['one <HOST>$', 'two <HOST>$'] });
    expect(f.match('two 2001:DB8:0:0::1')).toEqual({ address: '2001:db8::1', rule: 1 });
    expect(f.match('one ::ffff:192.0.2.7')).toEqual({ address: '192.0.2.7', rule: 0 });
    expect(f.counters.perRule).toEqual([1, 1]);
  });

  it('lets the first matching rule decide', () => {
    const f = compile({ failregex: ['x <HOST>', 'x <HOST>$'] });
    expect(f.match('x 192.0.2.1')?.rule).toBe(0);
  });

  it('counts and drops a candidate that is no valid address, without trying later rules', () => {
    const f = compile({ failregex: ['x <HOST>$', 'x 0<HOST>$'] });
    expect(f.match('x 010.0.0.1')).toBeUndefined();
    expect(f.counters.badAddress).toBe(1);
    expect(f.counters.perRule).toEqual([0, 0]);
  });

  it('drops overlong lines before any regex runs', () => {
    const f = compile({ failregex: ['x <HOST>'] }, { maxLineLength: 20 });
    expect(f.match(`x 192.0.2.1${' '.repeat(20)}`)).toBeUndefined();
    expect(f.match('x 192.0.2.1')?.address).toBe('192.0.2.1');
    expect(f.counters).toMatchObject({ lines: 2, overlong: 1, perRule: [1] });
  });

  it('skips lines without the prefilter literal even when a rule would match them', () => {
    const f = compile({ prefilter: ['sshd'], failregex: ['.*fail <HOST>$'] });
    expect(f.match('cron: fail 192.0.2.1')).toBeUndefined();
    expect(f.match('sshd: fail 192.0.2.1')?.address).toBe('192.0.2.1');
  });

  it('takes a line that holds any one of several prefilter literals', () => {
    const f = compile({ prefilter: ['FAIL LOGIN', 'pam_unix('], failregex: ['.*fail <HOST>$'] });
    expect(f.match('x FAIL LOGIN: fail 192.0.2.1')?.address).toBe('192.0.2.1');
    expect(f.match('pam_unix(x): fail 192.0.2.2')?.address).toBe('192.0.2.2');
    expect(f.match('cron: fail 192.0.2.3')).toBeUndefined();
  });

  it('matches what its rules match behind the prefix gate, and nothing the prefix cannot start', () => {
    const f = compile({ prefix: 'p(?:\\[\\d+\\])?: ', failregex: ['a <HOST>$', 'b <HOST>$'] });
    expect(f.match('q: a 192.0.2.1')).toBeUndefined();
    expect(f.match('p[1]: b 192.0.2.1')).toMatchObject({ address: '192.0.2.1', rule: 1 });
    expect(f.counters).toMatchObject({ lines: 2, perRule: [0, 1] });
  });

  it('lets an ignoreregex win over a failregex, and consults it only after a failregex matched', () => {
    const f = compile({ prefix: 'p: ', failregex: ['fail .* from <HOST>$'], ignoreregex: ['fail trusted '] });
    expect(f.match('p: fail trusted from 192.0.2.1')).toBeUndefined();
    expect(f.match('p: fail mallory from 192.0.2.2')?.address).toBe('192.0.2.2');
    expect(f.match('p: fail trusted nothing')).toBeUndefined();
    expect(f.counters.ignored).toBe(1);
  });

  it('puts the prefix in front of an ignoreregex too, so text later in the line cannot trigger it', () => {
    const f = compile({ prefix: 'p: ', failregex: ['fail .* from <HOST>$'], ignoreregex: ['fail trusted '] });
    expect(f.match('p: fail x fail trusted  from 192.0.2.3')?.address).toBe('192.0.2.3');
  });

  it('gives the same answer for the same line every time (no lastIndex state)', () => {
    const f = compile({ failregex: ['x <HOST>'] });
    const answers = [1, 2, 3].map(() => f.match('x 192.0.2.1')?.address);
    expect(answers).toEqual(['192.0.2.1', '192.0.2.1', '192.0.2.1']);
  });

  it('does not let $ match before a carriage return', () => {
    const f = compile({ failregex: ['x <HOST>$'] });
    expect(f.match('x 192.0.2.1\r')).toBeUndefined();
    expect(f.match('x 192.0.2.1\r\nx 192.0.2.1')).toBeUndefined();
  });

  it('adds the rules of the modes it is asked for after the filter\'s own, in file order', () => {
    const modes = new Map([
      ['loud', { description: '', failregex: ['loud <HOST>$'] }],
      ['scan', { description: '', failregex: ['scan <HOST>$'] }],
    ]);
    const plain = compile({ failregex: ['fail <HOST>$'], modes });
    expect(plain.match('scan 192.0.2.1')).toBeUndefined();
    const both = compile({ failregex: ['fail <HOST>$'], modes }, { modes: ['scan', 'loud', 'normal'] });
    expect(both.rules).toHaveLength(3);
    expect(both.match('scan 192.0.2.1')).toEqual({ address: '192.0.2.1', rule: 2 });
  });

  it('refuses an unknown mode, naming the known ones', () => {
    const modes = new Map([['aggressive', { description: '', failregex: ['x <HOST>'] }]]);
    const result = compileFilter(def({ failregex: ['y <HOST>'], modes }), { modes: ['agressive'], maxLineLength: 10 });
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/unknown mode "agressive" \(known: "aggressive"\)/) });
  });

  it('refuses a definition that was never validated', () => {
    const result = compileFilter(def({ failregex: ['no host here'] }), { modes: [], maxLineLength: 10 });
    expect(result.ok ? '' : result.error).toMatch(/Cannot compile filter "test": .*<HOST> exactly once, found 0/);
    expect(compileFilter(def({ failregex: ['x <HOST>'] }), { modes: [], maxLineLength: 0 }).ok).toBe(false);
  });

  it('checks a loaded definition once, and a copy changed after loading again', () => {
    const loaded = parseFilterText('failregex:\n  - "fail <HOST>$"\n', 'x.yaml');
    if (!loaded.ok) throw new Error('Cannot parse');
    expect(compileFilter(loaded.value, { modes: [], maxLineLength: 100 }).ok).toBe(true);
    const changed = { ...loaded.value, failregex: ['x (\\w+\\s?)+ <HOST>$'] };
    expect(compileFilter(changed, { modes: [], maxLineLength: 100 })).toMatchObject({ ok: false, error: expect.stringMatching(/Catastrophic/) });
  });

  it('reports the line\'s own time only when asked, using the injected clock for the year', () => {
    const line = 'Jan  2 03:04:05 host prog: fail 192.0.2.1';
    const d = { prefix: '<SYSLOG>prog: ', failregex: ['fail <HOST>$'] };
    expect(compile(d).match(line)).toEqual({ address: '192.0.2.1', rule: 0 });
    const clock = { now: () => new Date(2030, 5, 1).getTime() };
    expect(compile(d, { withTime: true, clock }).match(line)?.time).toBe(new Date(2030, 0, 2, 3, 4, 5).getTime());
  });

  it('matches every head <SYSLOG> knows and requires one unless the prefix makes it optional', () => {
    const heads = ['Nov 25 16:55:59', 'Nov  5 06:05:04', 'Nov 25 16:55:59.123456', 'Nov 25 16:55:59 <auth.info>',
      '2026-11-25T16:55:59.123456+00:00', '2026-11-25T16:55:59+0000', '2026-11-25T16:55:59Z',
      'Wed 2026-11-25 16:55:59 UTC', '1795625759.123456'];
    const f = compile({ prefix: '<SYSLOG>prog(?:\\[\\d+\\])?: ', failregex: ['fail <HOST>$'] });
    for (const head of heads) expect(f.match(`${head} host prog[1]: fail 192.0.2.1`)?.address, head).toBe('192.0.2.1');
    expect(f.match('prog[1]: fail 192.0.2.1')).toBeUndefined();
    expect(f.match('fail 192.0.2.1')).toBeUndefined();
    const optional = compile({ prefix: '(?:<SYSLOG>prog: )?', failregex: ['fail <HOST>$'] });
    expect(optional.match('fail 192.0.2.1')?.address).toBe('192.0.2.1');
  });

  it('leaves a port glued to an IPv6 address to the rule, even when it looks like one more group', () => {
    const f = compile({ failregex: ['client <HOST>:\\d{1,5}\\]'] });
    expect(f.match('client 2001:db8::1:52314]')?.address).toBe('2001:db8::1');
    expect(f.match('client 2001:db8::1:2222]')?.address).toBe('2001:db8::1');
    expect(f.match('client 192.0.2.1:22]')?.address).toBe('192.0.2.1');
  });

  it('drops and counts a matched line that holds a NUL byte, and matches one with invalid UTF-8', () => {
    const f = compile({ failregex: ['fail <HOST>$'] });
    expect(f.match('fail\u0000 192.0.2.1')).toBeUndefined();
    expect(f.match('fail 192.0.2.1\u0000')).toBeUndefined();
    expect(f.match('\uFFFD\uFFFDfail 192.0.2.2')).toBeUndefined();
    expect(compile({ failregex: ['.*fail <HOST>$'] }).match('\uFFFDfail 192.0.2.2')?.address).toBe('192.0.2.2');
    expect(f.counters.binary).toBe(0);
    const g = compile({ failregex: ['fail .*<HOST>$'] });
    expect(g.match('fail \u0000 192.0.2.1')).toBeUndefined();
    expect(g.counters.binary).toBe(1);
  });

  it('refuses a rule that would backtrack exponentially or quadratically, with the prefix in front', () => {
    expect(checkRule('', 'x (\\w+\\s?)+ <HOST>$', 'failregex')).toMatch(/^Catastrophic pattern: .*exponential/);
    expect(checkRule('a\\S*', '\\S+ <HOST>', 'failregex')).toMatch(/^Catastrophic pattern: .*quadratic/);
    expect(checkRule('', 'x .* from .*<HOST>$', 'failregex')).toBeUndefined();
  });

  it('tells a named group or backreference from a macro', () => {
    expect(checkRule('', '(?<HOST2>x) <HOST> \\k<HOST2>', 'failregex')).toBeUndefined();
    expect(checkRule('', 'x <HSOT>', 'failregex')).toMatch(/Unknown macro <HSOT>/);
  });
});
