import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../compile.js';
import type { Filter } from '../filter.js';
import { parseFilterText } from '../load.js';
import { importFail2banFilter } from './convert.js';
import type { ImportOptions } from './convert.js';
import { parseIni } from './ini.js';
import { translateRegex } from './translate.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../testdata/filters/fail2ban/filter.d');

function imported(name: string, options: ImportOptions = {}): { yaml: string; filter: Filter } {
  const r = importFail2banFilter(path.join(dir, `${name}.conf`), options);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const def = parseFilterText(r.value.yaml, `${name}.yaml`);
  if (!def.ok) throw new Error(JSON.stringify(def.errors));
  const f = compileFilter(def.value, { modes: [], maxLineLength: 8192 });
  if (!f.ok) throw new Error(f.error);
  return { yaml: r.value.yaml, filter: f.value };
}

describe('parseIni', () => {
  it('reads sections, lower-cases keys, joins continued lines and skips comments inside a value', () => {
    const s = parseIni('[Definition]\nFailRegex = ^a <HOST>\n    # note\n    ^b <HOST> ; inline comment\n\nx: 1\n', 'f.conf');
    expect(s.get('Definition')?.get('failregex')).toEqual({ value: '^a <HOST>\n^b <HOST>', file: 'f.conf', line: 2, lines: [2, 4] });
    expect(s.get('Definition')?.get('x')?.value).toBe('1');
  });
});

describe('translateRegex', () => {
  it('turns Python syntax into JavaScript syntax', () => {
    expect(translateRegex('^(?P<u>\\w+) again (?P=u) from <HOST>\\Z')).toMatchObject({ kind: 'rules', rules: ['^(?<u>\\w+) again \\k<u> from \\[?<HOST>\\]?$'] });
    expect(translateRegex('^x{,3} from <IP4>')).toMatchObject({ rules: ['^x{0,3} from <HOST>'] });
  });

  it('expands a case-insensitive group into both cases, as fail2ban\'s ((?i)…) means', () => {
    const t = translateRegex('^SASL ((?i)login|plain) failed from <IP4>');
    expect(t).toMatchObject({ rules: ['^SASL (?:[Ll][Oo][Gg][Ii][Nn]|[Pp][Ll][Aa][Ii][Nn]) failed from <HOST>'] });
  });

  it('splits a rule at a conditional group into one rule per outcome', () => {
    const t = translateRegex('^(?P<inv>invalid )?user \\S+ from <IP4>(?(inv) \\(bad\\)|)$');
    expect(t).toMatchObject({ kind: 'rules', rules: ['^invalid user \\S+ from <HOST> \\(bad\\)$', '^user \\S+ from <HOST>$'] });
  });

  it('leaves out rules fail2ban uses only to link lines, saying why', () => {
    expect(translateRegex('^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>')).toMatchObject({ kind: 'skip', reason: expect.stringContaining('F-NOFAIL') });
    expect(translateRegex('^Accepted <F-MLFGAINED>x</F-MLFGAINED> from <HOST>')).toMatchObject({ kind: 'skip', reason: expect.stringContaining('success') });
    expect(translateRegex('^kex_exchange_identification: closed')).toMatchObject({ kind: 'skip', reason: expect.stringContaining('no <HOST>') });
  });

  it('turns the multi-line tags into session flags when the filter has a connection id', () => {
    const sessions = { requireHost: true, sessions: true };
    expect(translateRegex('^<F-NOFAIL>Connection from</F-NOFAIL> <HOST>', sessions)).toMatchObject({ rules: ['^Connection from \\[?<HOST>\\]?'], flags: [['nofail']] });
    expect(translateRegex('^<F-MLFFORGET><F-MLFGAINED>Accepted \\w+</F-MLFGAINED></F-MLFFORGET> for <F-USER>\\S+</F-USER> from <HOST>', sessions))
      .toMatchObject({ rules: ['^(?:Accepted \\w+) for (?<user>\\S+) from \\[?<HOST>\\]?'], flags: [['forget', 'gained']] });
    expect(translateRegex('^kex_exchange_identification: closed', sessions)).toMatchObject({ rules: ['^kex_exchange_identification: closed'], flags: [[]] });
    expect(translateRegex('^Failed (?:<F-NOFAIL>publickey</F-NOFAIL>|\\S+) from <IP4>', sessions))
      .toMatchObject({ rules: ['^Failed (?!publickey)\\S+ from <HOST>', '^Failed publickey from <HOST>'], flags: [[], ['nofail']] });
    expect(() => translateRegex('^(?:<F-MLFFORGET>a</F-MLFFORGET>|b) from <HOST>', sessions)).toThrow('covers the whole rule');
  });

  it('lets a loop over any character take the rest of the line at once where only an optional tail and $ follow it', () => {
    // sshd.conf's "Disconnecting: Too many authentication failures": .*? then \s* would split the rest in n ways.
    expect(translateRegex('^x(?: for <F-USER>\\S+|.*?</F-USER>)?(?: port \\d+){0,3}\\s*$', { requireHost: false, sessions: true }))
      .toMatchObject({ rules: ['^x(?: for (?<user>\\S+|(?:(?=(?<dd0>[^\\n]*))\\k<dd0>)))?(?: port \\d+){0,3}\\s*$'] });
  });

  it('guards the other branches of an alternation that had an <F-NOFAIL> branch', () => {
    expect(translateRegex('^Failed (?:<F-NOFAIL>publickey</F-NOFAIL>|\\S+) from <IP4>')).toMatchObject({ rules: ['^Failed (?!publickey)\\S+ from <HOST>'] });
  });

  it('repairs adjacent quantifiers fail2ban writes, without changing what they match', () => {
    expect(translateRegex('^x from <IP4>:\\s*.*y$')).toMatchObject({ rules: ['^x from <HOST>:[^\\n]*y$'] });
    expect(translateRegex('^x from <IP4>[^>]*(?:, s=<\\S+>)?\\s*$')).toMatchObject({ rules: ['^x from <HOST>[^>]*(?:, s=<\\S+>\\s*)?$'] });
  });

  it.each([
    ['^a(?x) b <HOST>', 'verbose flag'], ['^a (?>b) <HOST>', 'Atomic groups'], ['^a b++ <HOST>', 'Possessive'],
    ['^a <DNS>', '<DNS> matches host names'], ['^a<SKIPLINES>b <HOST>', 'several lines'], ['^(a) \\1 <HOST>', 'numbered backreference'],
    ['^a <HOST> <HOST>', '2 address tags'], ['^a (?i)b <HOST>', 'only at the very start'],
  ])('refuses %s, naming the construct', (regex, construct) => {
    expect(() => translateRegex(regex)).toThrow(construct);
  });
});

describe('importFail2banFilter', () => {
  it('converts includes, %(var)s, <tags> and the prefix into a DictDefence filter that matches fail2ban\'s lines', () => {
    const { yaml, filter } = imported('demo');
    expect(yaml).toContain('# Converted from fail2ban');
    expect(yaml).toContain('session:\n  id: session\n');
    expect(yaml).toContain("# demo.conf:16\n  - rule: 'Connection from \\[?<HOST>\\]?'\n    session: [nofail]\n");
    expect(yaml).toContain("# demo.conf:17\n  - rule: 'Accepted password for \\S+ from \\[?<HOST>\\]?'\n    session: [gained]\n");
    expect(yaml).toContain("# demo.conf:19\n  - rule: 'Bad key from \\[?<HOST>\\]?'\n    session: [nofail]\n");
    expect(yaml).not.toContain('Left out');
    expect(filter.match('Nov 25 16:55:59 host demo[12]: Failed password for root from 192.0.2.1 port 22')?.address).toBe('192.0.2.1');
    expect(filter.match('Nov 25 16:55:59 host demo[12]: invalid user x refused from [2001:db8::1] (invalid)')?.address).toBe('2001:db8::1');
    expect(filter.match('Nov 25 16:55:59 host demo[12]: x refused from 192.0.2.2')?.address).toBe('192.0.2.2');
    expect(filter.match('Nov 25 16:55:59 host demo[12]: LOGIN failed from 192.0.2.3')?.address).toBe('192.0.2.3');
    expect(filter.match('Nov 25 16:55:59 host demo[12]: Bad rsa from 192.0.2.4')?.address).toBe('192.0.2.4');
    expect(filter.match('Nov 25 16:55:59 host demo[16]: Bad key from 192.0.2.5')).toBeUndefined();
    expect(filter.match('Nov 25 16:55:59 host demo[16]: Connection from 192.0.2.6')).toBeUndefined();
    expect(filter.match('Nov 25 16:55:59 host other[12]: Failed password for root from 192.0.2.7')).toBeUndefined();
    expect(filter.match('Nov 25 16:55:59 host demo[12]: Failed password for trusted from 192.0.2.8')).toBeUndefined();
  });

  it('turns fail2ban\'s connection id and multi-line tags into a filter with sessions', () => {
    const { filter } = imported('demo');
    expect(filter.match('Nov 25 16:55:59 host demo[13]: Connection from 192.0.2.6')).toBeUndefined();
    expect(filter.match('Nov 25 16:55:59 host demo[14]: Too many failures')).toBeUndefined();
    expect(filter.match('Nov 25 16:56:00 host demo[13]: Too many failures')?.address).toBe('192.0.2.6');
    expect(filter.match('Nov 25 16:56:01 host demo[15]: Bad key from 192.0.2.7')).toBeUndefined();
    expect(filter.match('Nov 25 16:56:02 host demo[15]: Too many failures')?.address).toBe('192.0.2.7');
  });

  it('links only lines whose head holds a pid: pid-less lines of a program are not one connection', () => {
    const { yaml, filter } = imported('demo');
    expect(yaml).toContain('(?<session>');
    expect(filter.match('Nov 25 16:55:59 host demo: Connection from 192.0.2.6')).toBeUndefined();
    expect(filter.match('Nov 25 16:55:59 host demo: Too many failures')).toBeUndefined();
    expect(filter.match('Nov 25 16:55:59 host demo: Failed password for root from 192.0.2.1 port 22')?.address).toBe('192.0.2.1');
    expect(filter.match('Nov 25 16:55:59 host demo: Too many failures')).toBeUndefined();
  });

  it('selects a mode\'s rules with the mode option, as filter = demo[mode=aggressive] would', () => {
    expect(imported('demo').filter.match('Nov 25 16:55:59 h demo: Probe from 192.0.2.9 ab ab')).toBeUndefined();
    expect(imported('demo', { mode: 'aggressive' }).filter.match('Nov 25 16:55:59 h demo: Probe from 192.0.2.9 ab ab')?.address).toBe('192.0.2.9');
  });

  it.each([
    ['bad-syntax', 'bad-syntax.conf', 3, 'verbose flag (?x)'],
    ['bad-dns', 'bad-dns.conf', 2, '<DNS> matches host names'],
    ['bad-catastrophic', 'bad-catastrophic.conf', 3, 'Catastrophic pattern'],
    ['multiline', 'multiline.conf', 2, '<SKIPLINES>'],
  ])('refuses %s with the construct, the file and the line', (name, file, line, construct) => {
    const r = importFail2banFilter(path.join(dir, `${name}.conf`));
    expect(r.ok).toBe(false);
    const e = r.ok ? undefined : r.errors[0];
    expect(path.basename(e?.file ?? '')).toBe(file);
    expect(e?.line).toBe(line);
    expect(e?.message).toContain(construct);
  });

  it('leaves out what it cannot convert when asked to, and lists it', () => {
    const r = importFail2banFilter(path.join(dir, 'bad-catastrophic.conf'), { skipUnconvertible: true });
    expect(r.ok && r.value.yaml).toMatch(/#   failregex at bad-catastrophic.conf:3: cannot convert: Catastrophic pattern/);
  });

  it('reports a missing file and a missing included file', () => {
    expect(importFail2banFilter(path.join(dir, 'none.conf'))).toMatchObject({ ok: false, errors: [{ message: expect.stringContaining('no such file') }] });
  });
});
