import { describe, expect, it } from 'vitest';
import { unpackActiveBan, type PackedBanRow } from './sqlite-active.js';

const row = (packed: string, reason = '5 failures in 10m', origin = 'web1'): PackedBanRow => [packed, reason, origin];

describe('an active ban read as a packed row', () => {
  const unpack = (r: PackedBanRow) => {
    const bad: [number | undefined, string][] = [];
    const ban = unpackActiveBan(r, { jail: '', reason: '', origin: '' }, (id, address) => { bad.push([id, address]); });
    return { ban, bad };
  };

  it('gives back every field, with a permanent ban as until null, and canonical address text', () => {
    expect(unpack(row('7\t1700000000000\t1700000600000\t2\tsshd\t192.0.2.1')).ban).toEqual({
      id: 7, address: '192.0.2.1', jail: 'sshd', bannedAt: 1700000000000, until: 1700000600000, count: 2,
      reason: '5 failures in 10m', origin: 'web1', liftedAt: null, liftReason: null,
    });
    expect(unpack(row('8\t1700000000000\t\t3\tpostfix\t2001:DB8:0:0::1', 'manual ban')).ban)
      .toMatchObject({ id: 8, address: '2001:db8::1', jail: 'postfix', until: null, count: 3, reason: 'manual ban' });
  });

  it('reports a row with a bad address, a tab where none belongs or numbers that are not integers, and skips it', () => {
    expect(unpack(row('9\t1700000000000\t\t1\tsshd\t999.1.1.1')).bad).toEqual([[9, '999.1.1.1']]);
    expect(unpack(row('10\t1700000000000\t\t1\tss\thd\t192.0.2.1'))).toEqual({ ban: undefined, bad: [[10, '192.0.2.1']] });
    expect(unpack(row('11\t1700000000000\t\t1.5\tsshd\t192.0.2.1')).bad).toEqual([[11, '192.0.2.1']]);
    expect(unpack(row('x\tnope\t\t1\tsshd\t192.0.2.1')).bad).toEqual([[undefined, '192.0.2.1']]);
    expect(unpack(row('12\t1700000000000\t\t1\tsshd')).bad).toEqual([[12, 'sshd']]);
  });

  it('reads negative and 16-digit integers, and refuses what is not a safe integer', () => {
    expect(unpack(row('1\t-5\t9007199254740991\t1\tsshd\t192.0.2.1')).ban).toMatchObject({ bannedAt: -5, until: 9007199254740991 });
    expect(unpack(row('1\t12345678901234567\t\t1\tsshd\t192.0.2.1')).bad).toHaveLength(1);
    expect(unpack(row('1\t-\t\t1\tsshd\t192.0.2.1')).bad).toHaveLength(1);
    expect(unpack(row('1\t9007199254740993\t\t1\tsshd\t192.0.2.1')).bad).toHaveLength(1);
  });
});
