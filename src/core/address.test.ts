import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  addressBytes, createAddressInterner, formatIPv6, ipv4Address, isIPv4, parseAddress, parseIPv4, parseIPv4Span, parseIPv6Groups, parseIPv6Into, type Address,
} from './address.js';

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

  it('makes texts that take no more memory than their characters need, however many are kept', () => {
    // A text built piece by piece is a chain of pieces until something reads it whole: kept by the thousand
    // (a cache of candidates, the keys of a Map), such chains held several times the memory of the texts.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = (): number => { gc(); return process.memoryUsage().heapUsed; };
    const before = heap();
    const kept = Array.from({ length: 100_000 }, (_, i) => formatIPv6([0x2001, 0xdb8, i >>> 12, (i * 7919) & 0xffff, 0, 0, i & 0xfff, 0xbeef]));
    const grown = heap() - before;
    expect(new Set(kept).size).toBe(100_000);
    // ~33 characters: a flat text is ~56 bytes with its header, and the array 8 a slot.
    expect(grown / kept.length).toBeLessThan(100);
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

/**
 * The parsers before they were rewritten on char codes for speed, kept as the reference the rewrite must
 * agree with on any input (regexes and splits, easy to check against the RFCs by eye).
 */
const reference = {
  parseIPv4(text: string): number | undefined {
    const parts = text.split('.');
    if (parts.length !== 4) return undefined;
    let value = 0;
    for (const part of parts) {
      if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return undefined;
      const n = Number(part);
      if (n > 255) return undefined;
      value = value * 256 + n;
    }
    return value;
  },
  parseIPv6Groups(text: string): number[] | undefined {
    if (text.length < 2 || text.length > 45) return undefined;
    let head = text;
    let tailV4: number | undefined;
    const lastColon = text.lastIndexOf(':');
    if (text.indexOf('.', lastColon) !== -1) {
      tailV4 = reference.parseIPv4(text.slice(lastColon + 1));
      if (tailV4 === undefined) return undefined;
      head = text.slice(0, lastColon + 1);
      if (!head.endsWith('::')) head = head.slice(0, -1);
    }
    const want = tailV4 === undefined ? 8 : 6;
    const halves = head.split('::');
    if (halves.length > 2) return undefined;
    const parse = (s: string): number[] | undefined => {
      if (s === '') return [];
      const groups: number[] = [];
      for (const g of s.split(':')) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        groups.push(parseInt(g, 16));
      }
      return groups;
    };
    const left = parse(halves[0] ?? '');
    if (!left) return undefined;
    let groups: number[];
    if (halves.length === 2) {
      const right = parse(halves[1] ?? '');
      if (!right) return undefined;
      const fill = want - left.length - right.length;
      if (fill < 1) return undefined;
      groups = [...left, ...new Array<number>(fill).fill(0), ...right];
    } else {
      if (left.length !== want) return undefined;
      groups = left;
    }
    if (tailV4 !== undefined) groups.push(tailV4 >>> 16, tailV4 & 0xffff);
    return groups;
  },
  formatIPv6(groups: readonly number[]): string {
    let bestStart = -1, bestLen = 1;
    for (let i = 0; i < 8;) {
      if (groups[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (bestStart < 0) return hex.join(':');
    return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
  },
};

describe('the char-code parsers', () => {
  let seed = 99;
  const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const pieces = ['0', '1', '00', '01', '10', '255', '256', '999', 'ff', 'FFFF', 'fffff', 'abcd', '12345', 'g', ':', '::',
    '.', '..', '1.2.3.4', '0.0.0.0', '010', ' ', '%', 'eth0', '[', ']', '-', '+1', '\u0661', '０', ''];
  const random = (): string => Array.from({ length: 1 + rnd(12) }, () => pieces[rnd(pieces.length)] as string).join('');

  it('agree with the reference on random text', () => {
    for (let i = 0; i < 200_000; i++) {
      const text = random();
      if (parseIPv4(text) !== reference.parseIPv4(text)) expect([text, parseIPv4(text)]).toEqual([text, reference.parseIPv4(text)]);
      const groups = parseIPv6Groups(text);
      const want = reference.parseIPv6Groups(text);
      if (JSON.stringify(groups) !== JSON.stringify(want)) expect([text, groups]).toEqual([text, want]);
    }
  });

  it('agree with the reference on every zero pattern and on spans inside longer text', () => {
    for (let mask = 0; mask < 256; mask++) {
      const groups = Array.from({ length: 8 }, (_, i) => ((mask >> i) & 1 ? 0 : i + 1));
      expect(formatIPv6(groups)).toBe(reference.formatIPv6(groups));
      const text = formatIPv6(groups);
      expect(parseIPv6Groups(text)).toEqual(groups);
      const out: number[] = [];
      expect(parseIPv6Into(`x ${text}:1.2.3.4 y`, 2, 2 + text.length, out)).toBe(true);
      expect(out).toEqual(groups);
    }
    expect(parseIPv4Span('from 10.0.0.1 port', 5, 13)).toBe(0x0a000001);
    expect(parseIPv4Span('from 10.0.0.1 port', 5, 14)).toBe(-1);
  });

  it('make the same string for an IPv4 value as parseAddress does for its text', () => {
    for (const text of ['0.0.0.0', '10.1.2.3', '255.255.255.255', '192.0.2.1']) {
      expect(ipv4Address(parseIPv4(text) as number)).toBe(parseAddress(text));
    }
    expect(() => ipv4Address(2 ** 32)).toThrow(RangeError);
  });
});

describe('createAddressInterner', () => {
  it('answers as parseAddress does, the same string each time, also once its IPv6 memory has filled and started over', () => {
    const interner = createAddressInterner(1 << 4);
    const texts = ['203.0.113.1', '2001:DB8::1', '[2001:db8::1]', '::ffff:192.0.2.1', 'fe80::1%eth0', '2001:db8::g', '[203.0.113.1]',
      '1.2.3', '', '::', ...Array.from({ length: 5000 }, (_, k) => `2001:db8:${(k % 4500).toString(16)}::1`)];
    for (let round = 0; round < 2; round++) {
      for (const t of texts) expect(interner.parse(t), t).toBe(parseAddress(t));
    }
    const a = interner.parse('2001:0db8::0001');
    expect(interner.parse('2001:0db8::0001')).toBe(a);
    expect(interner.ofIPv4(0xcb007101)).toBe('203.0.113.1');
  });
});
