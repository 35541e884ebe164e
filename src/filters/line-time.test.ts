import { describe, expect, it } from 'vitest';
import { SYSLOG_PATTERN, parseLineTime } from './line-time.js';

// Expected values are built with the local-time Date constructor, so the tests hold in any TZ.
const local = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number =>
  new Date(y, mo - 1, d, h, mi, s, ms).getTime();
const NOW = local(2026, 11, 25, 17, 0, 0);

describe('parseLineTime on BSD syslog heads', () => {
  it('reads a time of the current year as local time', () => {
    expect(parseLineTime('Nov 25 16:55:59 host sshd[1]: x', NOW)).toBe(local(2026, 11, 25, 16, 55, 59));
  });

  it('reads a space-padded day and a fraction of a second', () => {
    expect(parseLineTime('Nov  5 06:05:04.987654 host x', NOW)).toBe(local(2026, 11, 5, 6, 5, 4, 987));
  });

  it('puts a December line read on the first of January in the year before', () => {
    expect(parseLineTime('Dec 31 23:59:59 host x', local(2027, 1, 1, 0, 0, 5))).toBe(local(2026, 12, 31, 23, 59, 59));
  });

  it('keeps the current year for a time less than a day ahead (a sender whose clock runs fast)', () => {
    expect(parseLineTime('Nov 26 10:00:00 host x', NOW)).toBe(local(2026, 11, 26, 10));
  });

  it('takes a time more than a day ahead to be from last year', () => {
    expect(parseLineTime('Nov 27 10:00:00 host x', NOW)).toBe(local(2025, 11, 27, 10));
  });

  it('finds the last leap year for 29 February only when it is the year before', () => {
    expect(parseLineTime('Feb 29 12:00:00 host x', local(2029, 1, 10))).toBe(local(2028, 2, 29, 12));
    expect(parseLineTime('Feb 29 12:00:00 host x', local(2028, 3, 1))).toBe(local(2028, 2, 29, 12));
    expect(parseLineTime('Feb 29 12:00:00 host x', local(2027, 3, 1))).toBeUndefined();
  });

  it.each(['Foo 25 16:55:59 host x', 'Nov 31 16:55:59 host x', 'Nov 25 24:00:00 host x', 'Nov 25 16:60:00 host x'])(
    'refuses the impossible time in %j', (line) => {
      expect(parseLineTime(line, NOW)).toBeUndefined();
    });
});

describe('parseLineTime on ISO heads', () => {
  it('applies an RFC 3339 offset with or without a colon, and Z', () => {
    const utc = Date.UTC(2026, 10, 25, 15, 55, 59, 123);
    expect(parseLineTime('2026-11-25T16:55:59.123456+01:00 host x', NOW)).toBe(utc);
    expect(parseLineTime('2026-11-25T10:55:59.123-0500 host x', NOW)).toBe(utc);
    expect(parseLineTime('2026-11-25T15:55:59.123Z host x', NOW)).toBe(utc);
    expect(parseLineTime('2026-11-25T16:55:59.123+01 host x', NOW)).toBe(utc);
  });

  it('reads an ISO time without a zone as local time', () => {
    expect(parseLineTime('2026-11-25T16:55:59 host x', NOW)).toBe(local(2026, 11, 25, 16, 55, 59));
    expect(parseLineTime('2026-11-25 16:55:59,5 host x', NOW)).toBe(local(2026, 11, 25, 16, 55, 59, 500));
  });

  it('does not let the year inference touch a time that carries its year', () => {
    expect(parseLineTime('2031-01-01T00:00:00Z host x', NOW)).toBe(Date.UTC(2031, 0, 1));
  });

  it.each(['2026-02-30T00:00:00Z host x', '2026-13-01T00:00:00Z host x', '2026-11-25T16:55:59+25:00 host x'])(
    'refuses the impossible time in %j', (line) => {
      expect(parseLineTime(line, NOW)).toBeUndefined();
    });
});

describe('parseLineTime on journald heads', () => {
  it('reads short-full in UTC and in the local zone', () => {
    expect(parseLineTime('Wed 2026-11-25 16:55:59 UTC host x', NOW)).toBe(Date.UTC(2026, 10, 25, 16, 55, 59));
    expect(parseLineTime('Wed 2026-11-25 16:55:59 CET host x', NOW)).toBe(local(2026, 11, 25, 16, 55, 59));
  });

  it('reads short-unix seconds and microseconds', () => {
    expect(parseLineTime('1795625759.987654 host x', NOW)).toBe(1_795_625_759_987);
  });
});

describe('parseLineTime without a head', () => {
  it.each(['', 'sshd[1]: Failed password', 'host Nov 25 16:55:59 x', '2026-11-25Tnoon host x'])(
    'finds no time in %j', (line) => {
      expect(parseLineTime(line, NOW)).toBeUndefined();
    });
});

describe('SYSLOG_PATTERN', () => {
  const head = new RegExp(`^${SYSLOG_PATTERN}sshd: `);
  it.each([
    'Nov 25 16:55:59', 'Nov  5 06:05:04', 'Nov 25 16:55:59.987654', 'Nov 25 16:55:59 <auth.info>', 'Nov 25 16:55:59 <4.6>',
    '2026-11-25T16:55:59.123456+00:00', '2026-11-25T16:55:59+0000', '2026-11-25T16:55:59Z', '2026-11-25T16:55:59',
    'Wed 2026-11-25 16:55:59 UTC', '1795625759.987654',
  ])('matches the head %j that parseLineTime reads', (time) => {
    expect(head.test(`${time} host sshd: x`)).toBe(true);
    expect(parseLineTime(`${time} host sshd: x`, NOW)).toBeTypeOf('number');
  });

  it.each(['sshd: x', 'Nov 25 16:55:59 sshd: x', 'Nov 25 host sshd: x', ' Nov 25 16:55:59 host sshd: x'])(
    'requires a head and a host name in %j', (line) => {
      expect(head.test(line)).toBe(false);
    });

  it('has no capturing group that could shift or clash with a rule\'s groups', () => {
    expect(new RegExp(`${SYSLOG_PATTERN}|`).exec('')?.length).toBe(1);
  });
});
