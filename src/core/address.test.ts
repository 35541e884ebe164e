import { describe, expect, it } from 'vitest';
import { addressBytes, formatIPv6, isIPv4, parseAddress, type Address } from './address.js';

/** Input → canonical text. */
const accepted: readonly (readonly [string, string])[] = [
  // IPv4
  ['1.2.3.4', '1.2.3.4'],
  ['0.0.0.0', '0.0.0.0'],
  ['255.255.255.255', '255.255.255.255'],
  ['10.0.0.1', '10.0.0.1'],
  ['192.168.100.200', '192.168.100.200'],
  // IPv6, RFC 5952
  ['::', '::'],
  ['::1', '::1'],
  ['1::', '1::'],
  ['2001:DB8::1', '2001:db8::1'],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['2001:db8::1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
  ['0:0:1:0:0:0:0:0', '0:0:1::'],
  ['1:0:0:0:0:0:0:0', '1::'],
  ['0:0:0:0:0:0:0:0', '::'],
  ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ['FE80:0000:0000:0000:ABCD:00EF:0000:0001', 'fe80::abcd:ef:0:1'],
  ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  // Zone index and brackets
  ['fe80::1%eth0', 'fe80::1'],
  ['fe80::1%25', 'fe80::1'],
  ['[2001:db8::1]', '2001:db8::1'],
  ['[fe80::1%eth0]', 'fe80::1'],
  // SMTP address literals (RFC 5321) bracket IPv4 too, and mail logs carry them
  ['[192.0.2.1]', '192.0.2.1'],
  // IPv4-mapped folds to IPv4, whatever the notation
  ['::ffff:1.2.3.4', '1.2.3.4'],
  ['::FFFF:0102:0304', '1.2.3.4'],
  ['0:0:0:0:0:ffff:1.2.3.4', '1.2.3.4'],
  ['[::ffff:10.0.0.1]', '10.0.0.1'],
  ['::ffff:0:0', '0.0.0.0'],
  // IPv4 embedded at the end of other prefixes stays IPv6, in hex
  ['::1.2.3.4', '::102:304'],
  ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
];

const rejected: readonly (readonly [string, string])[] = [
  ['empty', ''],
  ['octal-looking IPv4 part', '010.1.1.1'],
  ['leading zero in the last part', '1.2.3.04'],
  ['hex IPv4 part', '0x7f.0.0.1'],
  ['integer IPv4', '2130706433'],
  ['short IPv4', '127.1'],
  ['three-part IPv4', '10.0.1'],
  ['IPv4 part over 255', '1.2.3.256'],
  ['five IPv4 parts', '1.2.3.4.5'],
  ['trailing dot', '1.2.3.4.'],
  ['empty IPv4 part', '1..3.4'],
  ['signed IPv4 part', '1.2.3.+4'],
  ['fullwidth digits', '１.２.３.４'],
  ['Arabic-Indic digits', '١.٢.٣.٤'],
  ['zero-width space inside', '1.2.\u200b3.4'],
  ['byte-order mark in front', '\ufeff1.2.3.4'],
  ['zero-width space in IPv6', '2001:db8::\u200b1'],
  ['trailing space', '1.2.3.4 '],
  ['leading space', ' 1.2.3.4'],
  ['trailing newline', '1.2.3.4\n'],
  ['host name', 'localhost'],
  ['bracketed IPv4 without closing bracket', '[1.2.3.4'],
  ['IPv6 with closing bracket only', '2001:db8::1]'],
  ['nine groups', '1:2:3:4:5:6:7:8:9'],
  ['nine groups with ::', '2001:db8::0:1:1:1:1:1'],
  ['seven groups without ::', '1:2:3:4:5:6:7'],
  ['eight groups plus ::', '1:2:3:4:5:6:7:8::'],
  ['two ::', '1::2::3'],
  ['::: triple colon', '1:::2'],
  ['group of five hex digits', '2001:db8::12345'],
  ['group of five digits with leading zero', '2001:db8::01234'],
  ['non-hex group', '2001:db8::g'],
  ['single leading colon', ':1:2:3:4:5:6:7'],
  ['single trailing colon', '1:2:3:4:5:6:7:'],
  ['lone colon', ':'],
  ['IPv4 embedded in the middle', '1:2:1.2.3.4::5'],
  ['IPv4 at the front of IPv6', '1.2.3.4::1'],
  ['embedded IPv4 with too many groups', '1:2:3:4:5:6:7:1.2.3.4'],
  ['embedded IPv4 with a bad part', '::ffff:1.2.3.256'],
  ['embedded IPv4 with a leading zero', '::ffff:1.2.3.04'],
  ['short embedded IPv4', '::ffff:1.2.3'],
  ['empty zone', 'fe80::1%'],
  ['zone with a space', 'fe80::1%eth 0'],
  ['zone on IPv4', '1.2.3.4%eth0'],
  ['zone outside the brackets', '[fe80::1]%eth0'],
  ['CIDR notation', '10.0.0.0/8'],
  ['port suffix', '[2001:db8::1]:22'],
  ['over-long input', `${'0:'.repeat(40)}1`],
];

describe('parseAddress', () => {
  it.each(accepted)('accepts %j as %j', (input, canonical) => {
    expect(parseAddress(input)).toBe(canonical);
  });

  it.each(rejected)('rejects a %s (%j)', (_why, input) => {
    expect(parseAddress(input)).toBeUndefined();
  });

  it('returns a canonical form that parses to itself', () => {
    for (const [input] of accepted) {
      const once = parseAddress(input) as Address;
      expect(parseAddress(once)).toBe(once);
    }
  });
});

describe('formatIPv6', () => {
  it('does not compress a single zero group', () => {
    expect(formatIPv6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe('2001:db8:0:1:1:1:1:1');
  });

  it('compresses the leftmost of two equally long zero runs', () => {
    expect(formatIPv6([1, 0, 0, 2, 3, 0, 0, 4])).toBe('1::2:3:0:0:4');
  });

  it('compresses the longer zero run even when it comes second', () => {
    expect(formatIPv6([1, 0, 0, 2, 0, 0, 0, 3])).toBe('1:0:0:2::3');
  });
});

describe('addressBytes', () => {
  it('maps IPv4 into the IPv4-mapped IPv6 range', () => {
    expect([...addressBytes(parseAddress('1.2.3.4') as Address)])
      .toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
  });

  it('lays out IPv6 groups big-endian', () => {
    expect([...addressBytes(parseAddress('2001:db8::1') as Address)])
      .toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('tells the families apart after folding', () => {
    expect(isIPv4(parseAddress('::ffff:1.2.3.4') as Address)).toBe(true);
    expect(isIPv4(parseAddress('::1') as Address)).toBe(false);
  });
});
