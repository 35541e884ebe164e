import { addressBytes, isIPv4, parseAddress, parseIPv4Span, parseIPv6Into, type Address } from './address.js';

/** A validated network: canonical base address and prefix length (in the family's own bits). */
export interface Cidr {
  readonly base: Address;
  readonly prefix: number;
  readonly text: string;
}

/** Parses `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `x::/n`; host bits set are refused (a likely typo). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const baseText = slash === -1 ? text : text.slice(0, slash);
  const base = parseAddress(baseText);
  if (!base) return undefined;
  const max = isIPv4(base) ? 32 : 128;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(p)) return undefined;
    prefix = Number(p);
    // `::ffff:a.b.c.d/n` was folded to IPv4, but its prefix still counts IPv6 bits. Shorter than /96 it
    // would reach beyond the mapped range, which no IPv4 network can express.
    if (isIPv4(base) && baseText.includes(':')) {
      if (prefix < 96 || prefix > 128) return undefined;
      prefix -= 96;
    }
    if (prefix > max) return undefined;
  }
  const bytes = addressBytes(base);
  const offset = isIPv4(base) ? 96 : 0;
  for (let bit = offset + prefix; bit < 128; bit++) {
    if ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) return undefined;
  }
  return { base, prefix, text: prefix === max ? base : `${base}/${prefix}` };
}

/** True when `address` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, address: Address): boolean {
  if (isIPv4(cidr.base) !== isIPv4(address)) return false;
  const a = addressBytes(address), b = addressBytes(cidr.base);
  let bits = cidr.prefix + (isIPv4(address) ? 96 : 0);
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** A set of networks checked on canonical addresses; exact addresses hit a `Set` first. */
export interface CidrSet {
  has(address: Address): boolean;
  /** `has` for the IPv4 address whose 32-bit value is `v4` (what a byte reader parsed), without its text. */
  hasIPv4(v4: number): boolean;
  /**
   * `has` for the IPv6 address `address` whose key words (core/address.ts `ipv6KeyInto`) are `key[at, at + 4)`,
   * as a byte reader keeps them: its networks are checked on the words, its text not parsed again.
   */
  hasIPv6(address: Address, key: Int32Array, at: number): boolean;
  /** The network that covers `address`, for log messages and `why`. */
  find(address: Address): Cidr | undefined;
  readonly entries: readonly Cidr[];
}

export function createCidrSet(cidrs: readonly Cidr[]): CidrSet {
  const exact = new Map<string, Cidr>();
  const nets: Cidr[] = [];
  for (const c of cidrs) {
    if (c.prefix === (isIPv4(c.base) ? 32 : 128)) exact.set(c.base, c);
    else nets.push(c);
  }
  // The whitelist is checked on every matched line: networks are turned into bytes and masks once, and each
  // address into bytes once per check, instead of twice per network.
  const compiled = nets.map((n) => {
    const bits = n.prefix + (isIPv4(n.base) ? 96 : 0);
    const base = addressBytes(n.base);
    const mask = new Uint8Array(16);
    for (let i = 0, left = bits; left > 0; i++, left -= 8) mask[i] = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    return { cidr: n, v4: isIPv4(n.base), base, mask };
  });
  // IPv4 networks also as 32-bit base and mask: an IPv4 address (most of them) is then checked without bytes.
  const v4Nets = compiled.filter((n) => n.v4).map((n) => {
    const mask = n.cidr.prefix === 0 ? 0 : (~0 << (32 - n.cidr.prefix)) >>> 0;
    return { cidr: n.cidr, mask, base: (parseIPv4Span(n.cidr.base, 0, n.cidr.base.length) & mask) >>> 0 };
  });
  // IPv6 networks as eight 16-bit groups of base and mask.
  const v6Nets = compiled.filter((n) => !n.v4).map((n) => {
    const mask = Array.from({ length: 8 }, (_, i) => (n.mask[2 * i]! << 8) | n.mask[2 * i + 1]!);
    const base = Array.from({ length: 8 }, (_, i) => ((n.base[2 * i]! << 8) | n.base[2 * i + 1]!) & mask[i]!);
    return { cidr: n.cidr, mask, base };
  });
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  const exact4 = new Set<number>();
  // As int32, which V8 keeps unboxed: half of all addresses are above 2^31 as unsigned numbers.
  for (const c of exact.values()) if (isIPv4(c.base)) exact4.add(parseIPv4Span(c.base, 0, c.base.length) | 0);
  const hasIPv4 = (v4: number): boolean => {
    if (exact4.size !== 0 && exact4.has(v4 | 0)) return true;
    for (const n of v4Nets) if (((v4 & n.mask) >>> 0) === n.base) return true;
    return false;
  };
  /** The IPv6 network holding the address whose eight groups are in `groups`. */
  const findV6 = (): Cidr | undefined => {
    outer: for (const n of v6Nets) {
      for (let i = 0; i < 8; i++) {
        const m = n.mask[i]!;
        if (m === 0) break;
        if ((groups[i]! & m) !== n.base[i]) continue outer;
      }
      return n.cidr;
    }
    return undefined;
  };
  const find = (address: Address): Cidr | undefined => {
    const hit = exact.get(address);
    if (hit || compiled.length === 0) return hit;
    const v4 = parseIPv4Span(address, 0, address.length);
    if (v4 >= 0) {
      for (const n of v4Nets) if (((v4 & n.mask) >>> 0) === n.base) return n.cidr;
      return undefined;
    }
    // IPv6: into eight groups of a reused array, masked group by group; no bytes allocated per check.
    return parseIPv6Into(address, 0, address.length, groups) ? findV6() : undefined;
  };
  const hasIPv6 = (address: Address, key: Int32Array, at: number): boolean => {
    if (exact.size !== 0 && exact.has(address)) return true;
    if (v6Nets.length === 0) return false;
    for (let i = 0; i < 4; i++) {
      groups[2 * i] = key[at + i]! >>> 16;
      groups[2 * i + 1] = key[at + i]! & 0xffff;
    }
    return findV6() !== undefined;
  };
  return { has: (a) => find(a) !== undefined, hasIPv4, hasIPv6, find, entries: cidrs };
}
