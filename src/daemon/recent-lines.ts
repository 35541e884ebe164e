import { parseIPv4Span, type Address } from '../core/address.js';
import { fmix32, HASH_SEED, hashText } from '../core/hash.js';
import type { Hit } from '../core/types.js';

/**
 * The lines of a jail's recent hits, by address, kept for `why` and the e-mail of a ban until the ban takes
 * them. A hit is the line of an address that is neither banned nor whitelisted: in a distributed attack most
 * failure lines are hits. Kept as objects (a `Hit`, a copy of its line, an array per address in a `Map`),
 * every one of them outlived the young generation and was copied by the collector on its way to the old one:
 * half the cost of a hit (bench, see docs/performance.md). Here a hit is its line's bytes in one ring
 * buffer and a few numbers in typed arrays, which the collector neither copies nor walks; a `Hit` is made only
 * for the hits asked for.
 *
 * Bounded by `slots` hits and `bytes` of line text: the oldest hits are overwritten first, whoever they are
 * of, and an address whose last hit is overwritten is forgotten. An address's hits are chained from newest
 * to oldest; `of` returns at most `perAddress` of them. Both stores start small and grow to their bounds as
 * hits come (an idle daemon keeps a few kilobytes per jail).
 */
export interface RecentLines {
  /**
   * Files a hit of `address`, or of the IPv4 address whose 32-bit value it is: a jail that read the address as
   * a number makes no text of it (the same address's hits, as text or as number, are one chain).
   */
  add(address: Address | number, at: number, rule: number, line: string): void;
  /** `add` for a line given as the ASCII bytes `b[start, end)` (the bytes path): copied, never decoded. */
  addBytes(address: Address | number, at: number, rule: number, b: Buffer, start: number, end: number): void;
  /** The newest `perAddress` hits of `address` still held, oldest first. */
  of(address: Address): Hit[];
  /** `of`, then forgets `address`: its next hit starts a new chain. */
  take(address: Address): Hit[];
  delete(address: Address): void;
  /** Addresses with a hit held. */
  size(): number;
}

export interface RecentLinesLimits {
  /** Hits held at most (the newest). */
  readonly slots: number;
  /** Bytes of line text held at most; a line takes its length as kept (see WIDE), plus what is skipped at the buffer's end. */
  readonly bytes: number;
}

/** 32,768 hits and 4 MiB: at ~120 bytes a line, the bytes and the slots run out about together. */
export const RECENT_LIMITS: RecentLinesLimits = { slots: 1 << 15, bytes: 4 << 20 };
const FIRST_SLOTS = 256;
const FIRST_BYTES = 32 << 10;
/**
 * A line with a UTF-16 unit above U+00FF, kept as UTF-8. Other lines (nearly all: log lines are ASCII) are
 * kept one byte a character, as Latin-1: measured on 100-byte lines, with this test, 64 ns to write instead of
 * 85, and 63 ns to read back instead of 100.
 */
const WIDE = /[^\x00-\xff]/;
/** The most bytes a wide line's UTF-8 can take: three per UTF-16 unit (a surrogate pair's four bytes are two units). */
const UTF8_PER_UNIT = 3;

/**
 * An address as the ring files it: an IPv4 address by its 32-bit value, any other by its text. The value as a
 * signed 32-bit integer, which V8 keeps in the slot's array as it is, where one of 2^31 or more (128.0.0.0 and
 * up) would be a heap number made for every hit.
 */
type Key = Address | number;
const keyOf = (address: Address | number): Key => {
  if (typeof address === 'number') return address | 0;
  const v4 = parseIPv4Span(address, 0, address.length);
  return v4 >= 0 ? v4 | 0 : address;
};
/** A key's hash under this process's secret (core/hash.ts); an IPv4 address's costs no walk over its text. */
const hashOf = (k: Key): number => (typeof k === 'number' ? fmix32(k ^ HASH_SEED) : hashText(k));

/*
 * A slot's row of numbers. In `floats` (F a slot): the sequence number of the address's hit before this one
 * (-1 for none); the hit's own; its time; where its line's bytes start, counted in bytes ever written (a start
 * before `written - size` is overwritten). In `ints` (I a slot): its address's hash (core/hash.ts), which the
 * index files it by; the rule; the line's length in bytes; 1 where the line is kept as UTF-8, else Latin-1.
 */
const F = 4, PREV = 0, SEQ = 1, AT = 2, START = 3;
const I = 4, HASH = 0, RULE = 1, LENGTH = 2, UTF8 = 3;

export function createRecentLines(jail: string, perAddress: number, limits: RecentLinesLimits = RECENT_LIMITS): RecentLines {
  const maxSlots = Math.max(1, Math.floor(limits.slots));
  const maxBytes = Math.max(64, Math.floor(limits.bytes));
  // Per slot. Hits are numbered in the order they come; hit `s` lives in slot `s % slots`, which hits
  // `s + slots`, `s + 2 * slots`… reuse, so the slots hold hits `seq - slots` to `seq - 1`.
  let slots = Math.min(FIRST_SLOTS, maxSlots);
  let owner: (Key | undefined)[] = new Array<Key | undefined>(slots).fill(undefined);
  /*
   * A slot's numbers, in two rows (slot × F, slot × I) rather than an array each: a ban reads back the hits of
   * its address, each in another place of 32,768, and a row is a cache line or two where eight arrays were
   * eight. The sshd jail alone on the bench's corpus 1,487 → 1,392 and 1,471 → 1,431 ms, all 17 jails on the
   * mixed corpus 3,202 → 3,106 ms (medians of 11 and 9, interleaved).
   */
  let floats = new Float64Array(slots * F);
  let ints = new Int32Array(slots * I);
  let ring = Buffer.allocUnsafe(Math.min(FIRST_BYTES, maxBytes));
  let seq = 0;
  let written = 0;

  /** Places for `n` slots: a power of two (probes wrap with a mask), at least twice as many. */
  const placesFor = (n: number): number => { let size = 2; while (size < 2 * n) size *= 2; return size; };

  /*
   * The newest hit of each address, as its slot + 1 (0: a free place), in an open-addressing table at most half
   * full (linear probing, deletion by backward shift). An address is in it exactly while the slot of its
   * newest hit is not reused. A `Map` from address to newest hit did this at ~185 ns a hit in a flood of
   * 1,000,000 addresses, whose entries come and go with every hit: a fifth of the daemon's time then
   * (docs/performance.md). A place is two numbers, the slot + 1 and its address's hash, so that probing reads
   * one place and no slot's data: in a flood each slot is elsewhere in memory, and reading its hash per probe
   * step was where `keep` spent its time (docs/performance.md, thirteenth session).
   */
  let index = new Int32Array(2 * placesFor(slots));
  let mask = index.length / 2 - 1;
  let indexed = 0;
  /** Where `address`, whose hash is `h`, is in the index, or -1. */
  const find = (key: Key, h: number): number => {
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const v = index[2 * p]!;
      if (v === 0) return -1;
      if (index[2 * p + 1] === h && owner[v - 1] === key) return p;
    }
  };
  /** Where `slot`, whose owner's hash is `h`, is in the index (it is its owner's newest hit), or -1. */
  const placeOfSlot = (slot: number, h: number): number => {
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const v = index[2 * p]!;
      if (v === 0) return -1;
      if (v === slot + 1) return p;
    }
  };
  /** Files `slot`, whose owner's hash is `h`, at the first free place of its probe run. */
  const insert = (slot: number, h: number): void => {
    let p = h & mask;
    while (index[2 * p] !== 0) p = (p + 1) & mask;
    index[2 * p] = slot + 1;
    index[2 * p + 1] = h;
  };
  /** The sequence number of the newest hit of `address`, or -1. */
  const lastOf = (key: Key): number => {
    const p = find(key, hashOf(key));
    return p < 0 ? -1 : floats[(index[2 * p]! - 1) * F + SEQ]!;
  };
  /** Takes the place `p` out of the index, pulling later members of its probe run back where they may go. */
  const removeAt = (p: number): void => {
    for (let j = (p + 1) & mask; index[2 * j] !== 0; j = (j + 1) & mask) {
      const home = index[2 * j + 1]! & mask;
      // `home` lies cyclically outside (p, j]: the member at j may move back to p.
      if (((j - home) & mask) >= ((j - p) & mask)) {
        index[2 * p] = index[2 * j]!;
        index[2 * p + 1] = index[2 * j + 1]!;
        p = j;
      }
    }
    index[2 * p] = 0;
    indexed--;
  };
  const forget = (address: Address): void => {
    const key = keyOf(address);
    const p = find(key, hashOf(key));
    if (p >= 0) removeAt(p);
  };

  /** Doubles the slots; only while none was reused, so that every hit keeps its slot (and the index its entries). */
  const growSlots = (): void => {
    const n = Math.min(slots * 2, maxSlots);
    const old = index;
    index = new Int32Array(2 * placesFor(n));
    mask = index.length / 2 - 1;
    for (let q = 0; q < old.length; q += 2) if (old[q] !== 0) insert(old[q]! - 1, old[q + 1]!);
    owner = [...owner, ...new Array<Key | undefined>(n - slots).fill(undefined)];
    const f = new Float64Array(n * F), i = new Int32Array(n * I);
    f.set(floats);
    i.set(ints);
    floats = f;
    ints = i;
    slots = n;
  };

  /** Where a line of up to `need` bytes goes, counted like `written`; grows the ring while it never wrapped. */
  const place = (need: number): number => {
    // While the ring never wrapped, a byte's place is its count: the ring can grow without moving a line.
    while (written + need > ring.length && ring.length < maxBytes) {
      // Uninitialised: only bytes written are ever read, and the pages not yet written stay out of RSS.
      const bigger = Buffer.allocUnsafe(Math.min(ring.length * 2, maxBytes));
      ring.copy(bigger, 0, 0, written);
      ring = bigger;
    }
    const at = written % ring.length;
    // A line is never split: the rest of the buffer is skipped (and counts as written) when it does not fit.
    if (at + need > ring.length) written += ring.length - at;
    return written;
  };

  /** Whether the hit `s` is still held: its slot not reused, its bytes not overwritten. */
  const held = (s: number): boolean => s >= 0 && s >= seq - slots && floats[(s % slots) * F + START]! >= written - ring.length;

  const of = (address: Address): Hit[] => {
    const out: Hit[] = [];
    for (let s = lastOf(keyOf(address)); out.length < perAddress && held(s); s = floats[(s % slots) * F + PREV]!) {
      const f = (s % slots) * F, i = (s % slots) * I;
      const from = floats[f + START]! % ring.length, to = from + ints[i + LENGTH]!;
      const line = ints[i + UTF8] === 1 ? ring.toString('utf8', from, to) : ring.toString('latin1', from, to);
      out.push({ address, jail, at: floats[f + AT]!, line, rule: ints[i + RULE]! });
    }
    return out.reverse();
  };

  /** Files the hit of `address` whose line's `n` bytes (UTF-8 when `utf8`) were just written at `start` (counted like `written`). */
  const keep = (key: Key, at: number, rule: number, start: number, n: number, utf8: boolean): void => {
    if (seq === slots && slots < maxSlots) growSlots();
    const slot = seq % slots;
    // The oldest hit, `seq - slots`, gives way; when it was its address's newest, the address has nothing left.
    const f = slot * F, i = slot * I;
    if (owner[slot] !== undefined) {
      const p = placeOfSlot(slot, ints[i + HASH]!);
      if (p >= 0) removeAt(p);
    }
    written = start + n;
    const h = hashOf(key);
    const p = find(key, h);
    floats[f + PREV] = p < 0 ? -1 : floats[(index[2 * p]! - 1) * F + SEQ]!;
    floats[f + SEQ] = seq;
    floats[f + AT] = at;
    floats[f + START] = start;
    owner[slot] = key;
    ints[i + HASH] = h;
    ints[i + RULE] = rule;
    ints[i + LENGTH] = n;
    ints[i + UTF8] = utf8 ? 1 : 0;
    if (p >= 0) {
      index[2 * p] = slot + 1;
    } else {
      insert(slot, h);
      indexed++;
    }
    seq++;
  };

  // `size` is a method, not a getter, for the reason given in trackers/address-table.ts.
  return {
    add(address, at, rule, line) {
      // A line longer than the ring could hold is kept as its first part (lines are capped long before that).
      if (!WIDE.test(line)) {
        const text = line.length > maxBytes ? line.slice(0, maxBytes) : line;
        const start = place(text.length);
        keep(keyOf(address), at, rule, start, ring.write(text, start % ring.length, 'latin1'), false);
        return;
      }
      const text = UTF8_PER_UNIT * line.length > maxBytes ? line.slice(0, Math.floor(maxBytes / UTF8_PER_UNIT)) : line;
      const start = place(UTF8_PER_UNIT * text.length);
      keep(keyOf(address), at, rule, start, ring.write(text, start % ring.length, 'utf8'), true);
    },
    addBytes(address, at, rule, b, from, to) {
      const n = Math.min(to - from, maxBytes);
      const start = place(n);
      b.copy(ring, start % ring.length, from, from + n);
      keep(keyOf(address), at, rule, start, n, false);
    },
    of,
    take(address) {
      const hits = of(address);
      forget(address);
      return hits;
    },
    delete: forget,
    size: () => indexed,
  };
}
