import { describe, expect, it } from 'vitest';
import { compileFilter } from '../filters/compile.js';
import { parseFilterText } from '../filters/load.js';
import { parseExtraLineTime, withExtraLineTime } from './line-time-extra.js';

const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number => new Date(y, mo - 1, d, h, mi, s, ms).getTime();

describe('web server line times', () => {
  it('reads the time of a common or combined access log line, with its offset', () => {
    expect(parseExtraLineTime('203.0.113.7 - bob [25/Nov/2026:16:55:59 +0100] "POST /login HTTP/1.1" 401 12 "-" "curl"'))
      .toBe(Date.UTC(2026, 10, 25, 15, 55, 59));
    expect(parseExtraLineTime('::1 - - [01/Jan/2027:00:00:00 -0500] "GET / HTTP/1.0" 200 1')).toBe(Date.UTC(2027, 0, 1, 5));
  });

  it('is not fooled by a time forged in the user name, which cannot hold an unescaped quote', () => {
    const line = '203.0.113.7 - x [01/Jan/2020:00:00:00 +0000] \\"y [25/Nov/2026:16:55:59 +0000] "POST /login HTTP/1.1" 401 0';
    expect(parseExtraLineTime(line)).toBe(Date.UTC(2026, 10, 25, 16, 55, 59));
  });

  it('reads nginx and Apache error log heads as local time', () => {
    expect(parseExtraLineTime('2026/11/25 16:55:59 [error] 1234#0: *1 user "x" was not found')).toBe(local(2026, 11, 25, 16, 55, 59));
    expect(parseExtraLineTime('[Wed Nov 25 16:55:59.123456 2026] [auth_basic:error] [pid 1] [client 203.0.113.7:5] AH01618: x'))
      .toBe(local(2026, 11, 25, 16, 55, 59, 123));
    expect(parseExtraLineTime('[Wed Nov  5 06:05:04 2026] [error] [client 203.0.113.7] x')).toBe(local(2026, 11, 5, 6, 5, 4));
  });

  it.each([
    'Nov 25 16:55:59 host sshd[1]: x',
    '203.0.113.7 - - [31/Nov/2026:16:55:59 +0000] "GET / HTTP/1.1" 200 1',
    '203.0.113.7 - - [25/Nov/2026:16:55:59 +0000] no quote after',
    '2026/13/25 16:55:59 [error] x',
  ])('finds no web server time in %j', (line) => {
    expect(parseExtraLineTime(line)).toBeUndefined();
  });

  it('fills in the time of a match only where the filter found none', () => {
    const def = parseFilterText('failregex:\n  - "^.*hit from <HOST>$"\n', 'test');
    const compiled = def.ok ? compileFilter(def.value, { modes: [], maxLineLength: 8192, withTime: true }) : undefined;
    if (!compiled?.ok) throw new Error('Cannot compile the test filter');
    const f = withExtraLineTime(compiled.value);
    expect(f.match('2026/11/25 16:55:59 [error] hit from 192.0.2.1')).toEqual({ address: '192.0.2.1', rule: 0, time: local(2026, 11, 25, 16, 55, 59) });
    expect(f.match('2026-11-25T10:00:00Z host hit from 192.0.2.1')?.time).toBe(Date.UTC(2026, 10, 25, 10));
    expect(f.match('no match')).toBeUndefined();
    expect(f.counters).toBe(compiled.value.counters);
  });
});
