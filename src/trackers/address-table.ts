import { parseIPv4Span, parseIPv6Into, type Address } from '../core/address.js';

/**
 * A map from {@link Address} to a fixed number of doubles and 32-bit integers per address, over typed arrays:
 * no object, array or string is kept per address. A `Map<string, number[]>` costs ~300 bytes per address in
 * V8 (1,000,000 addresses ≈ 400 MB, see docs/performance.md); this table costs 16 bytes of key, 8 of LRU
 * links, 8 of index and the payload, so the window tracker's 5 times come to ~76 bytes.
 *
 * - Keys are exact: the whole 128-bit address is stored (IPv4 as its IPv4-mapped form `::ffff:a.b.c.d`, which
 *   no canonical IPv6 address takes since parseAddress folds it), and a lookup compares all of it. The hash
 *   only picks where to start looking, so a collision costs a probe, never a wrong entry.
 * - Index: open addressing with linear probing over an Int32Array at most half full, deletion by backward
 *   shift (no tombstones, so lookups stay short however many addresses come and go).
 * - Entries live in dense arrays reused through a free list, and form a doubly linked list from least to
 *   most recently used: the tracker's LRU eviction and its sweep walk it.
 * - Capacity doubles as needed, so an idle daemon holds a few kilobytes, not the size of its cap.
 *
 * Entry numbers stay valid until the entry is removed. `floats` and `ints` are replaced when the table grows:
 * read them again after `add`.
 */
export interface AddressTable {
  readonly size: number;
  /** `floatStride` doubles per entry, entry `e` at `e * floatStride`. */
  readonly floats: Float64Array;
  /** `intStride` integers per entry, entry `e` at `e * intStride`. */
  readonly ints: Int32Array;
  /** The entry of `address`, or -1. */
  find(address: Address): number;
  /** Adds `address` (which must be absent) as the most recently used entry, its payload zeroed. */
  add(address: Address): number;
  /** Makes `entry` the most recently used. */
  touch(entry: number): void;
  remove(entry: number): void;
  /** The least recently used entry, or -1 when empty. */
  oldest(): number;
  /** The entry used next after `entry` (towards the most recent), or -1. */
  newer(entry: number): number;
  clear(): void;
}

const INITIAL = 64;
const NONE = -1;

/** fmix32 of MurmurHash3: every input bit reaches every output bit, so nearby addresses spread out. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function createAddressTable(floatStride: number, intStride: number): AddressTable {
  let cap = 0;
  let keys = new Int32Array(0);
  let prev = new Int32Array(0);
  let next = new Int32Array(0);
  let floats = new Float64Array(0);
  let ints = new Int32Array(0);
  /** Entry + 1 per slot, 0 when free; twice `cap` slots, so at most half full. */
  let index = new Int32Array(0);
  let mask = 0;
  let size = 0;
  /** Entries never used yet start at `fresh`; removed ones are chained through `next` from `free`. */
  let fresh = 0;
  let free = NONE;
  let head = NONE;
  let tail = NONE;
  // The key being looked up, parsed once per call.
  let k0 = 0, k1 = 0, k2 = 0, k3 = 0;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];

  const parseKey = (address: Address): void => {
    const v4 = parseIPv4Span(address, 0, address.length);
    if (v4 >= 0) { k0 = 0; k1 = 0; k2 = 0xffff; k3 = v4 | 0; return; }
    const g = groups;
    if (!parseIPv6Into(address, 0, address.length, g)) throw new TypeError(`Not a canonical address: ${address}`);
    k0 = (g[0]! << 16) | g[1]!;
    k1 = (g[2]! << 16) | g[3]!;
    k2 = (g[4]! << 16) | g[5]!;
    k3 = (g[6]! << 16) | g[7]!;
  };
  const hashOf = (a: number, b: number, c: number, d: number): number => mix(mix(mix(mix(a) ^ b) ^ c) ^ d);
  const hashEntry = (e: number): number => {
    const o = e * 4;
    return hashOf(keys[o]!, keys[o + 1]!, keys[o + 2]!, keys[o + 3]!);
  };

  const place = (e: number, h: number): void => {
    let s = h & mask;
    while (index[s] !== 0) s = (s + 1) & mask;
    index[s] = e + 1;
  };

  const grow = (): void => {
    const n = cap === 0 ? INITIAL : cap * 2;
    const copy = <T extends Int32Array | Float64Array>(old: T, make: (len: number) => T, stride: number): T => {
      const a = make(n * stride);
      a.set(old);
      return a;
    };
    keys = copy(keys, (l) => new Int32Array(l), 4);
    prev = copy(prev, (l) => new Int32Array(l), 1);
    next = copy(next, (l) => new Int32Array(l), 1);
    floats = copy(floats, (l) => new Float64Array(l), floatStride);
    ints = copy(ints, (l) => new Int32Array(l), intStride);
    cap = n;
    index = new Int32Array(n * 2);
    mask = n * 2 - 1;
    for (let e = head; e !== NONE; e = next[e]!) place(e, hashEntry(e));
  };

  const unlink = (e: number): void => {
    const p = prev[e]!, n = next[e]!;
    if (p === NONE) head = n; else next[p] = n;
    if (n === NONE) tail = p; else prev[n] = p;
  };
  const append = (e: number): void => {
    prev[e] = tail;
    next[e] = NONE;
    if (tail === NONE) head = e; else next[tail] = e;
    tail = e;
  };

  const slotOfKey = (): number => {
    if (cap === 0) return NONE;
    for (let s = hashOf(k0, k1, k2, k3) & mask; ; s = (s + 1) & mask) {
      const v = index[s]!;
      if (v === 0) return NONE;
      const o = (v - 1) * 4;
      if (keys[o + 3] === k3 && keys[o + 2] === k2 && keys[o + 1] === k1 && keys[o] === k0) return s;
    }
  };

  return {
    get size() { return size; },
    get floats() { return floats; },
    get ints() { return ints; },

    find(address) {
      parseKey(address);
      const s = slotOfKey();
      return s === NONE ? NONE : index[s]! - 1;
    },

    add(address) {
      parseKey(address);
      if (size === cap) grow();
      let e: number;
      if (free !== NONE) { e = free; free = next[e]!; } else e = fresh++;
      const o = e * 4;
      keys[o] = k0; keys[o + 1] = k1; keys[o + 2] = k2; keys[o + 3] = k3;
      floats.fill(0, e * floatStride, (e + 1) * floatStride);
      ints.fill(0, e * intStride, (e + 1) * intStride);
      place(e, hashOf(k0, k1, k2, k3));
      append(e);
      size++;
      return e;
    },

    touch(e) {
      if (e === tail) return;
      unlink(e);
      append(e);
    },

    remove(e) {
      const o = e * 4;
      k0 = keys[o]!; k1 = keys[o + 1]!; k2 = keys[o + 2]!; k3 = keys[o + 3]!;
      let s = slotOfKey();
      if (s === NONE || index[s] !== e + 1) throw new Error(`Address table entry ${e} is not in the table`);
      // Backward shift: pull later members of the probe run into the hole when their home slot allows it.
      for (let j = (s + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
        const home = hashEntry(index[j]! - 1) & mask;
        // `home` lies cyclically outside (s, j]: the entry at j may move back to s.
        if (((j - home) & mask) >= ((j - s) & mask)) { index[s] = index[j]!; s = j; }
      }
      index[s] = 0;
      unlink(e);
      next[e] = free;
      free = e;
      size--;
    },

    oldest: () => head,
    newer: (e) => next[e]!,

    clear() {
      cap = 0; size = 0; fresh = 0; free = NONE; head = NONE; tail = NONE; mask = 0;
      keys = new Int32Array(0); prev = new Int32Array(0); next = new Int32Array(0);
      floats = new Float64Array(0); ints = new Int32Array(0); index = new Int32Array(0);
    },
  };
}
