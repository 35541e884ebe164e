import { fmix32 as mix, HASH_SEED } from '../core/hash.js';
import { ipv6KeyInto, parseIPv4Span, type Address } from '../core/address.js';
import { sortByStamp } from './stamp-sort.js';

/**
 * A map from {@link Address} to a fixed number of doubles and 32-bit integers per address, over typed arrays:
 * no object, array or string is kept per address. A `Map<string, number[]>` costs ~300 bytes per address in
 * V8 (1,000,000 addresses ≈ 400 MB, see docs/performance.md); this table costs 4 bytes of key (IPv6: 20), 8 of
 * index, 4 of use stamp and the payload, so the window tracker with 6 failures comes to 48 bytes (IPv6: 64),
 * and 8 more of LRU links once it has been asked for its least recently used entry.
 *
 * - Keys are exact: the whole address is stored and a lookup compares all of it. The hash only picks where to
 *   start looking, so a collision costs a probe, never a wrong entry. An IPv4 address is its 32-bit value in
 *   the entry; an IPv6 one is a slot in a store of 128-bit keys beside the entries, and a bit per entry tells
 *   the two apart. Most addresses a jail sees are IPv4, and a 16-byte key for each of them was 12 MB wasted
 *   per million. The hash is that of the 128-bit form (IPv4 as `::ffff:a.b.c.d`, which no canonical IPv6
 *   address takes since parseAddress folds it) either way.
 * - Index: open addressing with linear probing over an Int32Array at most half full, deletion by backward
 *   shift (no tombstones, so lookups stay short however many addresses come and go); a slot keeps four bits
 *   of its entry's hash, so a probe reads another entry's key only when they agree.
 * - Entries live in dense arrays reused through a free list. Which was used least recently is known exactly,
 *   but only worked out when first asked (the tracker's eviction, once the table is full): until then a use
 *   writes a stamp beside the entry's payload, in a cache line the tracker touches anyway, instead of moving
 *   the entry in a linked list, which touched two more entries at random (~9 % of `dictdefence test`, see
 *   docs/performance.md). The first `oldest()` sorts the entries by stamp into a doubly linked list from
 *   least to most recently used, which every use keeps in order from then on.
 * - Entries are stored in pages of 65,536, added as needed and never copied or freed while the table lives:
 *   an idle daemon holds one small page, not the size of its cap, and growing leaves no freed arrays behind
 *   (doubling did: glibc keeps such freed blocks, and the daemon's RSS with them). Only the index doubles.
 *
 * Entry numbers stay valid until the entry is removed.
 */
export interface AddressTable {
  readonly size: number;
  /** The page holding the `floatStride` doubles of `entry`, which start at `floatAt(entry)`. */
  floats(entry: number): Float64Array;
  floatAt(entry: number): number;
  /** The page holding the `intStride` integers of `entry`, which start at `intAt(entry)`. */
  ints(entry: number): Int32Array;
  intAt(entry: number): number;
  /** The entry of `address`, or -1. */
  find(address: Address): number;
  /** `find` for the IPv4 address whose 32-bit value is `v4` (what a byte reader parsed): no text to parse. */
  findIPv4(v4: number): number;
  /** `find` for the IPv6 address whose key words (core/address.ts `ipv6KeyInto`) are `key[at, at + 4)`. */
  findIPv6(key: Int32Array, at: number): number;
  /** Adds `address` (which must be absent) as the most recently used entry, its payload zeroed. */
  add(address: Address): number;
  /** `add` for the IPv4 address whose 32-bit value is `v4`. */
  addIPv4(v4: number): number;
  /** `add` for the IPv6 address whose key words are `key[at, at + 4)`, as `findIPv6` takes them: no text to parse. */
  addIPv6(key: Int32Array, at: number): number;
  /** Makes `entry` the most recently used. */
  touch(entry: number): void;
  remove(entry: number): void;
  /** The least recently used entry, or -1 when empty. */
  oldest(): number;
  /** The entry used next after `entry` (towards the most recent), or -1. */
  newer(entry: number): number;
  /** An entry, or -1 when empty: with {@link following}, every entry once, in no particular order. */
  first(): number;
  /** The entry after `entry` in the order of {@link first}, or -1; `entry` may have been removed meanwhile. */
  following(entry: number): number;
  clear(): void;
}

export interface AddressTableOptions {
  /** Uses stamped before the table orders itself all the same (tests lower it); the stamps are int32. */
  readonly stampLimit?: number;
}

/** Entries per page, as a shift: 65,536. The first page starts smaller and grows to that size. */
const PAGE_SHIFT = 16;
const PAGE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE - 1;
const FIRST_PAGE = 64;
/** IPv6 keys per page of their store, as a shift: 4,096 (64 KiB), added as needed and never freed either. */
const V6_SHIFT = 12;
const V6_PAGE = 1 << V6_SHIFT;
const V6_MASK = V6_PAGE - 1;
const NONE = -1;
/**
 * An index slot holds its entry + 1 in the low ENTRY_BITS bits (0: free) and the top four bits of the entry's
 * hash above them: a probe past another entry then reads no key unless those bits agree (1 in 16), where
 * each key read is a cache miss once the table outgrows the cache. 2^27 entries is beyond every tracker's cap
 * (config: 100,000,000).
 */
const ENTRY_BITS = 27;
const ENTRY_MASK = (1 << ENTRY_BITS) - 1;
const TAG_MASK = ~ENTRY_MASK;
const tagOf = (h: number): number => (h >>> 28) << ENTRY_BITS;
/** Slots of the cache of parsed IPv6 texts (direct-mapped by the text's length and last ten characters). */
const TEXT_SLOTS = 4096;
const TEXT_MASK = TEXT_SLOTS - 1;

/** The first three rounds of the hash of every IPv4 key (core/hash.ts: the process's secret goes into the first). */
const V4_ROUNDS = mix(mix(mix(0 ^ HASH_SEED) ^ 0) ^ 0xffff);

export function createAddressTable(floatStride: number, intStride: number, options: AddressTableOptions = {}): AddressTable {
  const stampLimit = options.stampLimit ?? 0x7fffffff;
  // Per entry in `ints`: the payload, then the stamp: the last use's number (≥ 0), or, for a free entry, the
  // next free one, as -2 - next (≤ -1).
  const intRow = intStride + 1;
  // Page p holds entries [p·PAGE, (p+1)·PAGE); only page 0 may be smaller (FIRST_PAGE, doubling up to PAGE).
  /** Per entry: the IPv4 value, or the IPv6 key's slot in `v6` when the entry's bit in `wide` is set. */
  let keys: Int32Array[] = [];
  let wide: Int32Array[] = [];
  let prev: Int32Array[] = [];
  let next: Int32Array[] = [];
  let floats: Float64Array[] = [];
  let ints: Int32Array[] = [];
  let cap = 0;
  /** Entry + 1 per slot, 0 when free; twice `cap` slots, so at most half full. */
  let index = new Int32Array(0);
  let mask = 0;
  /** Entries never used yet start at `fresh`; removed ones are chained through their stamps from `free`. */
  let fresh = 0;
  let free = NONE;
  /** Whether the entries are linked from least to most recently used (`prev`, `next`, `head`, `tail`). */
  let ordered = false;
  let tick = 0;
  let head = NONE;
  let tail = NONE;
  /** IPv6 keys, four words per slot; slots never used start at `v6Fresh`, freed ones chain from `v6Free`. */
  let v6: Int32Array[] = [];
  let v6Fresh = 0;
  let v6Free = NONE;
  // The key being looked up, parsed once per call; `isV6` when it is not IPv4 (then k3 alone is not the key).
  let k0 = 0, k1 = 0, k2 = 0, k3 = 0;
  let isV6 = false;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  const v6Texts = new Array<string | undefined>(TEXT_SLOTS).fill(undefined);
  const v6Keys = new Int32Array(TEXT_SLOTS * 4);

  const stampAt = (e: number): number => (e & PAGE_MASK) * intRow + intStride;
  const getStamp = (e: number): number => ints[e >>> PAGE_SHIFT]![stampAt(e)]!;
  const setStamp = (e: number, v: number): void => { ints[e >>> PAGE_SHIFT]![stampAt(e)] = v; };
  /** The next entry in use from `e` on, or -1. */
  const liveFrom = (e: number): number => {
    for (; e < fresh; e++) if (getStamp(e) >= 0) return e;
    return NONE;
  };
  const getNext = (e: number): number => next[e >>> PAGE_SHIFT]![e & PAGE_MASK]!;
  const setNext = (e: number, v: number): void => { next[e >>> PAGE_SHIFT]![e & PAGE_MASK] = v; };
  const getPrev = (e: number): number => prev[e >>> PAGE_SHIFT]![e & PAGE_MASK]!;
  const setPrev = (e: number, v: number): void => { prev[e >>> PAGE_SHIFT]![e & PAGE_MASK] = v; };

  const ipv4Key = (v4: number): void => { k0 = 0; k1 = 0; k2 = 0xffff; k3 = v4 | 0; isV6 = false; };
  const parseKey = (address: Address): void => {
    const v4 = parseIPv4Span(address, 0, address.length);
    if (v4 >= 0) return ipv4Key(v4);
    // An IPv6 address seen lately: its key from the cache, compared by its whole text (a string the filters
    // interned compares by identity), so the same address is not parsed on every hit.
    const n = address.length;
    let h = n;
    for (let i = n > 10 ? n - 10 : 0; i < n; i++) h = Math.imul(h, 31) + address.charCodeAt(i);
    const slot = mix(h) & TEXT_MASK;
    if (v6Texts[slot] === address) {
      const o = slot * 4;
      k0 = v6Keys[o]!; k1 = v6Keys[o + 1]!; k2 = v6Keys[o + 2]!; k3 = v6Keys[o + 3]!;
      isV6 = true;
      return;
    }
    const o = slot * 4;
    if (!ipv6KeyInto(address, groups, v6Keys, o)) throw new TypeError(`Not a canonical address: ${address}`);
    k0 = v6Keys[o]!; k1 = v6Keys[o + 1]!; k2 = v6Keys[o + 2]!; k3 = v6Keys[o + 3]!;
    isV6 = true;
    v6Texts[slot] = address;
  };
  // For an IPv4 key (0, 0, 0xffff, v4) the first three rounds are a constant: one round instead of four.
  const hashOf = (a: number, b: number, c: number, d: number): number =>
    mix((a === 0 && b === 0 && c === 0xffff ? V4_ROUNDS : mix(mix(mix(a ^ HASH_SEED) ^ b) ^ c)) ^ d);
  const isWide = (p: number, i: number): boolean => ((wide[p]![i >>> 5]! >>> (i & 31)) & 1) !== 0;
  /** Loads entry `e`'s key into k0..k3 and isV6. */
  const loadKey = (e: number): void => {
    const p = e >>> PAGE_SHIFT, i = e & PAGE_MASK, k = keys[p]![i]!;
    if (!isWide(p, i)) return ipv4Key(k);
    const page = v6[k >>> V6_SHIFT]!, o = (k & V6_MASK) * 4;
    k0 = page[o]!; k1 = page[o + 1]!; k2 = page[o + 2]!; k3 = page[o + 3]!;
    isV6 = true;
  };
  const hashEntry = (e: number): number => {
    const p = e >>> PAGE_SHIFT, i = e & PAGE_MASK, k = keys[p]![i]!;
    if (!isWide(p, i)) return hashOf(0, 0, 0xffff, k);
    const page = v6[k >>> V6_SHIFT]!, o = (k & V6_MASK) * 4;
    return hashOf(page[o]!, page[o + 1]!, page[o + 2]!, page[o + 3]!);
  };
  /** Whether entry `e` holds the key being looked up. */
  const holdsKey = (e: number): boolean => {
    const p = e >>> PAGE_SHIFT, i = e & PAGE_MASK, k = keys[p]![i]!;
    if (!isV6) return k === k3 && !isWide(p, i);
    if (!isWide(p, i)) return false;
    const page = v6[k >>> V6_SHIFT]!, o = (k & V6_MASK) * 4;
    return page[o + 3] === k3 && page[o + 2] === k2 && page[o + 1] === k1 && page[o] === k0;
  };

  const place = (e: number, h: number): void => {
    let s = h & mask;
    while (index[s] !== 0) s = (s + 1) & mask;
    index[s] = (e + 1) | tagOf(h);
  };

  const grow = (): void => {
    // Unreachable under the config's cap, but an entry number past ENTRY_BITS would corrupt the index.
    if (cap + PAGE > ENTRY_MASK) throw new RangeError(`An address table holds at most ${cap} entries`);
    if (cap < PAGE) {
      // Page 0 doubles (copied) until it is a whole page, so a table with a few entries stays small.
      const n = cap === 0 ? FIRST_PAGE : cap * 2;
      const widen = <T extends Int32Array | Float64Array>(old: T | undefined, make: (len: number) => T, stride: number): T => {
        const a = make(n * stride);
        if (old) a.set(old);
        return a;
      };
      keys[0] = widen(keys[0], (l) => new Int32Array(l), 1);
      wide[0] = widen(wide[0], (l) => new Int32Array(l), 1 / 32); // a bit per entry; n is a multiple of 32
      if (ordered) {
        prev[0] = widen(prev[0], (l) => new Int32Array(l), 1);
        next[0] = widen(next[0], (l) => new Int32Array(l), 1);
      }
      floats[0] = widen(floats[0], (l) => new Float64Array(l), floatStride);
      ints[0] = widen(ints[0], (l) => new Int32Array(l), intRow);
      cap = n;
    } else {
      keys.push(new Int32Array(PAGE));
      wide.push(new Int32Array(PAGE / 32));
      if (ordered) {
        prev.push(new Int32Array(PAGE));
        next.push(new Int32Array(PAGE));
      }
      floats.push(new Float64Array(PAGE * floatStride));
      ints.push(new Int32Array(PAGE * intRow));
      cap += PAGE;
    }
    // The index stays a power of two at least twice the capacity.
    if (index.length < cap * 2) {
      let slots = Math.max(index.length, FIRST_PAGE * 2);
      while (slots < cap * 2) slots *= 2;
      index = new Int32Array(slots);
      mask = slots - 1;
      for (let e = liveFrom(0); e !== NONE; e = liveFrom(e + 1)) place(e, hashEntry(e));
    }
  };

  const unlink = (e: number): void => {
    const p = getPrev(e), n = getNext(e);
    if (p === NONE) head = n; else setNext(p, n);
    if (n === NONE) tail = p; else setPrev(n, p);
  };
  const append = (e: number): void => {
    setPrev(e, tail);
    setNext(e, NONE);
    if (tail === NONE) head = e; else setNext(tail, e);
    tail = e;
  };

  /** Links the entries in the order of their stamps, least recently used first: once, when first needed. */
  const order = (): void => {
    if (ordered) return;
    ordered = true;
    prev = ints.map((page) => new Int32Array(page.length / intRow));
    next = ints.map((page) => new Int32Array(page.length / intRow));
    const entries = new Int32Array(table.size), stamps = new Int32Array(table.size);
    let n = 0;
    for (let e = liveFrom(0); e !== NONE; e = liveFrom(e + 1)) { entries[n] = e; stamps[n++] = getStamp(e); }
    for (const e of sortByStamp(entries, stamps)) append(e);
  };
  /** A use of entry `e`: stamped while the table is unordered (ordering it once the stamps run out). */
  const use = (e: number): void => {
    if (ordered) {
      if (e !== tail) { unlink(e); append(e); }
      return;
    }
    setStamp(e, tick++);
    if (tick > stampLimit) order();
  };

  const slotOfKey = (): number => {
    if (cap === 0) return NONE;
    const h = hashOf(k0, k1, k2, k3), tag = tagOf(h);
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const v = index[s]!;
      if (v === 0) return NONE;
      if ((v & TAG_MASK) === tag && holdsKey((v & ENTRY_MASK) - 1)) return s;
    }
  };

  /** Adds the key being looked up, which must be absent. */
  const addKey = (): number => {
    if (table.size === cap) grow();
    let e: number;
    if (free !== NONE) { e = free; free = -2 - getStamp(e); } else e = fresh++;
    const p = e >>> PAGE_SHIFT, i = e & PAGE_MASK;
    if (isV6) {
      let k: number;
      if (v6Free !== NONE) { k = v6Free; v6Free = v6[k >>> V6_SHIFT]![(k & V6_MASK) * 4]!; } else {
        k = v6Fresh++;
        if ((k & V6_MASK) === 0) v6.push(new Int32Array(V6_PAGE * 4));
      }
      const page = v6[k >>> V6_SHIFT]!, o = (k & V6_MASK) * 4;
      page[o] = k0; page[o + 1] = k1; page[o + 2] = k2; page[o + 3] = k3;
      keys[p]![i] = k;
      wide[p]![i >>> 5]! |= 1 << (i & 31);
    } else {
      keys[p]![i] = k3;
      wide[p]![i >>> 5]! &= ~(1 << (i & 31));
    }
    floats[p]!.fill(0, i * floatStride, (i + 1) * floatStride);
    ints[p]!.fill(0, i * intRow, i * intRow + intStride);
    place(e, hashOf(k0, k1, k2, k3));
    table.size++;
    // Ordered, the list says how recent it is and a stamp ≥ 0 only marks it live; else its stamp says both.
    if (ordered) { setStamp(e, 0); append(e); } else use(e);
    return e;
  };
  const entryOfKey = (): number => {
    const s = slotOfKey();
    return s === NONE ? NONE : (index[s]! & ENTRY_MASK) - 1;
  };

  // `size` is a plain property kept up to date, not a getter: V8 (Node 20) keeps an object whose literal has a
  // getter in dictionary mode (and one that is given a getter per instance later, but for the first), and
  // every call through the table, on every failure line, then starts with a hash lookup.
  const table: { size: number } & Omit<AddressTable, 'size'> = {
    size: 0,
    floats: (e) => floats[e >>> PAGE_SHIFT]!,
    floatAt: (e) => (e & PAGE_MASK) * floatStride,
    ints: (e) => ints[e >>> PAGE_SHIFT]!,
    intAt: (e) => (e & PAGE_MASK) * intRow,

    find(address) {
      parseKey(address);
      return entryOfKey();
    },
    findIPv6(key, at) {
      k0 = key[at]!; k1 = key[at + 1]!; k2 = key[at + 2]!; k3 = key[at + 3]!;
      isV6 = true;
      return entryOfKey();
    },
    findIPv4(v4) {
      ipv4Key(v4);
      return entryOfKey();
    },

    add(address) {
      parseKey(address);
      return addKey();
    },
    addIPv4(v4) {
      ipv4Key(v4);
      return addKey();
    },
    addIPv6(key, at) {
      k0 = key[at]!; k1 = key[at + 1]!; k2 = key[at + 2]!; k3 = key[at + 3]!;
      isV6 = true;
      return addKey();
    },

    touch: use,

    remove(e) {
      loadKey(e);
      let s = slotOfKey();
      if (s === NONE || (index[s]! & ENTRY_MASK) !== e + 1) throw new Error(`Address table entry ${e} is not in the table`);
      // Backward shift: pull later members of the probe run into the hole when their home slot allows it.
      for (let j = (s + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
        const home = hashEntry((index[j]! & ENTRY_MASK) - 1) & mask;
        // `home` lies cyclically outside (s, j]: the entry at j may move back to s.
        if (((j - home) & mask) >= ((j - s) & mask)) { index[s] = index[j]!; s = j; }
      }
      index[s] = 0;
      if (isV6) {
        // The key's slot joins the store's free list, chained through its first word.
        const k = keys[e >>> PAGE_SHIFT]![e & PAGE_MASK]!;
        v6[k >>> V6_SHIFT]![(k & V6_MASK) * 4] = v6Free;
        v6Free = k;
      }
      if (ordered) unlink(e);
      setStamp(e, -2 - free);
      free = e;
      table.size--;
    },

    oldest: () => { order(); return head; },
    newer: (e) => { order(); return getNext(e); },
    first: () => liveFrom(0),
    following: (e) => liveFrom(e + 1),

    clear() {
      cap = 0; table.size = 0; fresh = 0; free = NONE; head = NONE; tail = NONE; mask = 0; ordered = false; tick = 0;
      keys = []; wide = []; prev = []; next = []; floats = []; ints = []; index = new Int32Array(0);
      v6 = []; v6Fresh = 0; v6Free = NONE;
    },
  };
  return table;
}
