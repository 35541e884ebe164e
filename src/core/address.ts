declare const addressBrand: unique symbol;

/**
 * An IP address in canonical form: IPv4 as a dotted quad without leading zeros, IPv6 as RFC 5952 text
 * (lower case, shortest, longest zero run compressed). `::ffff:a.b.c.d` is folded to IPv4 and a zone index
 * is dropped. Only {@link parseAddress} makes one, so downstream code never sees an unvalidated string.
 */
export type Address = string & { readonly [addressBrand]: true };

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * The 32-bit value of the strict dotted quad `text.slice(start, end)`, or -1: four parts of one to three ASCII
 * digits, no leading zero (`010` is octal to some resolvers), each at most 255. Works on char codes without
 * slicing or splitting, because it runs on the hot path for every matched line (filters/fast, trackers).
 */
export function parseIPv4Span(text: string, start: number, end: number): number {
  if (end - start < 7 || end - start > 15) return -1;
  let value = 0, part = 0, digits = 0, dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    if (digits === 1 && part === 0) return -1; // leading zero
    part = part * 10 + d;
    if (++digits > 3 || part > 255) return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Parses a strict dotted quad into its 32-bit value; `undefined` for octal, hex, short or integer forms. */
export function parseIPv4(text: string): number | undefined {
  const v = parseIPv4Span(text, 0, text.length);
  return v < 0 ? undefined : v;
}

export const formatIPv4 = (value: number): string =>
  `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;

/**
 * The address of a 32-bit IPv4 value: the same string {@link parseAddress} returns for its dotted quad. An
 * integer cannot be malformed, so this is the one other way to make an {@link Address}; the hot path
 * (filters/fast) parses with {@link parseIPv4Span} and then keeps one string per address.
 */
export function ipv4Address(value: number): Address {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`Invalid IPv4 value: ${value}`);
  return formatIPv4(value) as Address;
}

/** Parses IPv6 text (zone already removed) into eight 16-bit groups. */
export function parseIPv6Groups(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  let head = text;
  let tailV4: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "a:b::1.2.3.4" leaves "a:b::"; "a:b:c:d:e:f:1.2.3.4" leaves "a:…:f:"
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const want = tailV4 === undefined ? 8 : 6;
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!HEX_GROUP.test(g)) return undefined;
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
}

/** RFC 5952 text of eight groups: longest run (≥ 2) of zero groups becomes "::", leftmost on a tie. */
export function formatIPv6(groups: readonly number[]): string {
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
}

/**
 * The only way to make an {@link Address}. Accepts strict IPv4 and IPv6 text (optionally in brackets, with
 * a zone index); refuses everything else, including `127.1`, `010.0.0.1`, `0x7f.0.0.1`, `2130706433`,
 * fullwidth digits and invisible characters, which some resolvers accept and a log line could carry.
 */
export function parseAddress(text: string): Address | undefined {
  let s = text;
  if (s.length === 0 || s.length > 64) return undefined;
  if (s.charCodeAt(0) === 91 /* [ */) {
    if (!s.endsWith(']')) return undefined;
    s = s.slice(1, -1);
  }
  if (s.indexOf(':') === -1) {
    const v4 = parseIPv4(s);
    return v4 === undefined ? undefined : (formatIPv4(v4) as Address);
  }
  const pct = s.indexOf('%');
  if (pct !== -1) {
    if (!/^[0-9A-Za-z._-]{1,32}$/.test(s.slice(pct + 1))) return undefined;
    s = s.slice(0, pct);
  }
  const groups = parseIPv6Groups(s);
  if (!groups) return undefined;
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 &&
      groups[5] === 0xffff) {
    return formatIPv4(((groups[6] ?? 0) * 65536 + (groups[7] ?? 0)) >>> 0) as Address;
  }
  return formatIPv6(groups) as Address;
}

export const isIPv4 = (address: Address): boolean => address.indexOf(':') === -1;

/** The address as 16 bytes (IPv4 as its IPv4-mapped IPv6 form), for prefix matching. */
export function addressBytes(address: Address): Uint8Array {
  const out = new Uint8Array(16);
  if (isIPv4(address)) {
    const v = parseIPv4(address) ?? 0;
    out[10] = 0xff; out[11] = 0xff;
    out[12] = v >>> 24; out[13] = (v >>> 16) & 255; out[14] = (v >>> 8) & 255; out[15] = v & 255;
    return out;
  }
  const groups = parseIPv6Groups(address) ?? [];
  groups.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 255; });
  return out;
}
