declare const addressBrand: unique symbol;

/**
 * An IP address in canonical form: IPv4 as a dotted quad without leading zeros, IPv6 as RFC 5952 text
 * (lower case, shortest, longest zero run compressed). `::ffff:a.b.c.d` is folded to IPv4 and a zone index
 * is dropped. Only {@link parseAddress} makes one, so downstream code never sees an unvalidated string.
 */
export type Address = string & { readonly [addressBrand]: true };

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

/**
 * {@link parseIPv4Span} on bytes: `b[start, end)`. The same steps, written twice on purpose: copying the text
 * into bytes to share one loop made the tracker's lookups ~50% slower (measured), and a callback per
 * character more so.
 */
export function parseIPv4Bytes(b: Uint8Array, start: number, end: number): number {
  if (end - start < 7 || end - start > 15) return -1;
  let value = 0, part = 0, digits = 0, dots = 0;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
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

/** The value of the hex digit `c` (a char code), or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20; // a-f and A-F alike
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * Reads the groups of `text[start, end)` separated by single colons (each 1 to 4 hex digits) into `out` from
 * `at`; returns how many, or -1. An empty part has none; an empty group (`a::b` split badly, a trailing `:`)
 * is an error.
 */
function hexGroups(text: string, start: number, end: number, out: number[], at: number): number {
  if (start === end) return 0;
  let n = 0, value = 0, digits = 0;
  for (let i = start; i <= end; i++) {
    if (i === end || text.charCodeAt(i) === 58 /* : */) {
      if (digits === 0 || at + n >= 8) return -1;
      out[at + n++] = value;
      value = 0;
      digits = 0;
      continue;
    }
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0 || ++digits > 4) return -1;
    value = value * 16 + d;
  }
  return n;
}

/**
 * Parses IPv6 text `text[start, end)` (zone already removed) into eight 16-bit groups in `out`; false when it
 * is not one. Char codes only, no slices or regexes: trackers key every hit by it.
 */
export function parseIPv6Into(text: string, start: number, end: number, out: number[]): boolean {
  if (end - start < 2 || end - start > 45) return false;
  const lastColon = text.lastIndexOf(':', end - 1);
  if (lastColon < start) return false;
  let headEnd = end, want = 8, tail = -1;
  const dot = text.indexOf('.', lastColon);
  if (dot !== -1 && dot < end) {
    tail = parseIPv4Span(text, lastColon + 1, end);
    if (tail < 0) return false;
    want = 6;
    // "::1.2.3.4" leaves "::"; "a:b::1.2.3.4" leaves "a:b::"; "a:b:c:d:e:f:1.2.3.4" leaves "a:…:f"
    headEnd = lastColon > start && text.charCodeAt(lastColon - 1) === 58 ? lastColon + 1 : lastColon;
  }
  const double = text.indexOf('::', start);
  let count: number;
  if (double === -1 || double + 2 > headEnd) {
    count = hexGroups(text, start, headEnd, out, 0);
    if (count !== want) return false;
  } else {
    // At most one "::", as split("::") sees it: the rest after the first may not hold another.
    const rightStart = double + 2;
    const again = text.indexOf('::', rightStart);
    if (again !== -1 && again + 2 <= headEnd) return false;
    const left = hexGroups(text, start, double, out, 0);
    if (left < 0) return false;
    const right = hexGroups(text, rightStart, headEnd, out, left);
    if (right < 0) return false;
    const fill = want - left - right;
    if (fill < 1) return false;
    // Move the right part to the end and zero the gap.
    for (let i = right - 1; i >= 0; i--) out[left + fill + i] = out[left + i]!;
    for (let i = 0; i < fill; i++) out[left + i] = 0;
  }
  if (tail >= 0) {
    out[6] = tail >>> 16;
    out[7] = tail & 0xffff;
  }
  return true;
}

/**
 * The 128 bits of the IPv6 text `text` (zone already removed) as four 32-bit words, the first two groups in
 * `out[at]` and so on: the key the trackers' address table files an IPv6 address by. False when it is not one.
 */
export function ipv6KeyInto(text: string, groups: number[], out: Int32Array, at: number): boolean {
  if (!parseIPv6Into(text, 0, text.length, groups)) return false;
  ipv6KeyOfGroups(groups, out, at);
  return true;
}

/** {@link ipv6KeyInto} of an address already parsed into its eight groups. */
export function ipv6KeyOfGroups(groups: readonly number[], out: Int32Array, at: number): void {
  out[at] = (groups[0]! << 16) | groups[1]!;
  out[at + 1] = (groups[2]! << 16) | groups[3]!;
  out[at + 2] = (groups[4]! << 16) | groups[5]!;
  out[at + 3] = (groups[6]! << 16) | groups[7]!;
}

/** Parses IPv6 text (zone already removed) into eight 16-bit groups. */
export function parseIPv6Groups(text: string): number[] | undefined {
  const out = [0, 0, 0, 0, 0, 0, 0, 0];
  return parseIPv6Into(text, 0, text.length, out) ? out : undefined;
}

/** Scratch of `formatIPv6` (39 characters at most), and the hex digits' codes. */
const FORMAT_BYTES = Buffer.alloc(40);
const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

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
  // Written as bytes and decoded at once: a text built by `+=` is a chain of pieces until something reads it
  // whole, ~300 bytes instead of ~55 while it lives (a candidate's cache, a Map key); a flood of 500,000 new
  // IPv6 addresses through `test` ended with ~190 MB of heap in use instead of ~40. Also 4-5 times faster
  // than `+=` (100,000 texts: 13-16 ms against 58-79).
  const b = FORMAT_BYTES;
  let n = 0;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      if (i === 0) b[n++] = 58;
      b[n++] = 58;
      i += bestLen - 1;
      continue;
    }
    const g = groups[i] ?? 0;
    for (let shift = g > 0xfff ? 12 : g > 0xff ? 8 : g > 0xf ? 4 : 0; shift >= 0; shift -= 4) b[n++] = HEX_CODES[(g >>> shift) & 15]!;
    if (i < 7) b[n++] = 58;
  }
  return b.toString('latin1', 0, n);
}


/**
 * One string per IPv4 address seen lately, so that the Maps and Sets downstream of a filter (whitelist, bans,
 * tracker) hash each address once rather than a fresh string per line. Direct-mapped by the 32-bit value
 * (kept as int32, which V8 stores unboxed): a slot holds the last address that hashed to it.
 */
export interface AddressInterner {
  /** {@link ipv4Address}, the same string as last time for the same value while its slot still holds it. */
  ofIPv4(value: number): Address;
  /** {@link parseAddress}, with IPv4 text answered through `ofIPv4`. */
  parse(text: string): Address | undefined;
}

/** IPv6 texts an interner remembers at once (~100 bytes each). */
const TEXTS6_MAX = 4096;

export function createAddressInterner(slots = 1 << 16): AddressInterner {
  const shift = 32 - Math.log2(slots);
  if (!Number.isInteger(shift) || shift < 1 || shift > 31) throw new RangeError(`Invalid slot count: ${slots}`);
  // Made at the first IPv4 address: ~3 ms of a start on a slow host, and a caller that keeps IPv4 addresses
  // as numbers (`dictdefence test` on sshd) may never make one.
  let keys: Int32Array | undefined;
  let texts: (Address | undefined)[] = [];
  const ofIPv4 = (value: number): Address => {
    if (keys === undefined) {
      keys = new Int32Array(slots);
      texts = new Array<Address | undefined>(slots).fill(undefined);
    }
    const key = value | 0;
    const slot = Math.imul(key, 0x9e3779b1) >>> shift;
    let address = texts[slot];
    if (address === undefined || keys[slot] !== key) {
      address = ipv4Address(value);
      keys[slot] = key;
      texts[slot] = address;
    }
    return address;
  };
  // IPv6 (and bracketed) texts seen lately, with what parseAddress made of them (null: refused). Parsing one
  // and writing its canonical text costs ~1 µs; a lookup of the text, a tenth of that. Bounded: cleared when full.
  const texts6 = new Map<string, Address | null>();
  return {
    ofIPv4,
    parse(text) {
      if (text.charCodeAt(0) === 91 /* [ */ || text.indexOf(':') !== -1) {
        let known = texts6.get(text);
        if (known === undefined) {
          known = parseAddress(text) ?? null;
          if (texts6.size >= TEXTS6_MAX) texts6.clear();
          texts6.set(text, known);
        }
        return known ?? undefined;
      }
      // A dotted quad is refused here exactly as parseIPv4 does.
      const v4 = parseIPv4Span(text, 0, text.length);
      return v4 < 0 ? undefined : ofIPv4(v4);
    },
  };
}

let shared: AddressInterner | undefined;
/**
 * The process's one interner, made on first use: every filter hands on the same string for the same IPv4
 * address, so the Maps and Sets of every jail hash it once, and 17 jails do not hold 768 KiB of slots each
 * (measured: 34 ms and 13 MB to start the whole filter library with one interner per filter).
 */
export const sharedInterner = (): AddressInterner => (shared ??= createAddressInterner());

/**
 * The only way to make an {@link Address}. Accepts strict IPv4 and IPv6 text (optionally in brackets, with
 * a zone index); refuses everything else, including `127.1`, `010.0.0.1`, `0x7f.0.0.1`, `2130706433`,
 * fullwidth digits and invisible characters, which some resolvers accept and a log line could carry.
 */
export function parseAddress(text: string): Address | undefined {
  return parseAddressInto(text, [0, 0, 0, 0, 0, 0, 0, 0]);
}

/**
 * {@link parseAddress}, parsing into `groups`: when it returns an IPv6 address, they hold its eight groups
 * (a caller that files it by its key words, core/address.ts `ipv6KeyOfGroups`, need not parse its text again).
 */
export function parseAddressInto(text: string, groups: number[]): Address | undefined {
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
  if (!parseIPv6Into(s, 0, s.length, groups)) return undefined;
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
