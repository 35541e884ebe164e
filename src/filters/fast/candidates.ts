import { ipv6KeyInto, ipv6KeyOfGroups, parseAddressInto, parseIPv4Span, type Address } from '../../core/address.js';
import { HOST_PATTERN } from '../host.js';

/** `<HOST>` on its own, whole: whether a rule's group could capture exactly this text. */
const HOST_EXACT = new RegExp(`^(?:${HOST_PATTERN})$`);
/**
 * Texts put out of their slot by another, after their slot had answered for them again, kept at most (then
 * that map starts over): one that comes back is answered with the same string, unparsed.
 */
const INTERN_MAX = 1 << 16;
/**
 * Slots, direct-mapped by a hash of the candidate's bytes: the bench's corpus holds 2,154 distinct IPv6
 * addresses, and one that shares a slot with another is only decoded and looked up again.
 */
const SLOTS = 8192;
const MASK = SLOTS - 1;
/**
 * 32-bit words of bytes kept per slot: a candidate of up to 47 bytes is kept (an IPv6 address's text has at
 * most 45); a longer one (a zone index, or no address) is answered again each time, in the slot after the last.
 */
const WORDS = 12;
const LONGEST = 4 * WORDS - 1;
const UNKEPT = SLOTS;

/**
 * A fast filter's answers for the `<HOST>` candidates that are not a dotted quad (IPv6 addresses, and what
 * only looks like one), kept by their bytes: a candidate seen lately costs no string, no hash of a string and
 * no parse. Its bytes are compared whole, four at a time, so a slot answers only for the very bytes it was
 * filled from; what they are is decided as the string path decides it (`HOST_EXACT`, then `parseAddress`).
 */
export interface Candidates {
  /** The slot holding the answer for the candidate `b[s, e)` (1 to any number of bytes): valid until the next call. */
  slotOf(b: Uint8Array, s: number, e: number): number;
  /** Per slot: its address; `null` when `<HOST>` does not take it whole; `undefined` when it does but it is no address. */
  readonly answers: readonly (Address | undefined | null)[];
  /** Per slot: the IPv4 value of its address (`::ffff:192.0.2.1` is IPv4), else -1. */
  readonly ipv4: Float64Array;
  /** Per slot, at 4 × slot: the key words (core/address.ts `ipv6KeyInto`) of its IPv6 address. */
  readonly keys: Int32Array;
}

export function createCandidates(): Candidates {
  const answers = new Array<Address | undefined | null>(SLOTS + 1).fill(null);
  const ipv4 = new Float64Array(SLOTS + 1);
  const keys = new Int32Array((SLOTS + 1) * 4);
  const lengths = new Int32Array(SLOTS).fill(-1);
  const words = new Int32Array(SLOTS * WORDS);
  // One string per text: Maps and Sets downstream hash it once. `null`: <HOST> refuses it; `false`: <HOST> takes
  // it but it is no address (`undefined` in `answers`), so that one lookup tells a text never seen. Only texts
  // that were asked for again while in their slot go in, when their slot is taken: in a flood of addresses
  // each seen once, keeping every text (65,536 live strings, promoted by the collector, then dropped at once)
  // was half the cost of a new one (500,000 new IPv6 addresses: 560-740 ms, against ~350 without).
  const interned = new Map<string, Address | null | false>();
  /** Per slot: the text it answers for, and whether it was asked for again since (1) or not (0). */
  const texts = new Array<string | undefined>(SLOTS).fill(undefined);
  const again = new Uint8Array(SLOTS);
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let viewed: Uint8Array | undefined;
  let view: DataView = new DataView(new ArrayBuffer(0));

  /** Fills `slot` with the answer for `text`; one kept in no slot is not kept in `interned` either. */
  const answer = (slot: number, text: string): number => {
    let known = interned.get(text);
    // Whether `groups` hold the address just parsed (else its key is read from its text).
    const parsed = known === undefined;
    if (known === undefined) {
      // Not an address <HOST> takes whole (999.1.1.1, a host name): the regexes say what happens then.
      known = text.indexOf(':') === -1 || !HOST_EXACT.test(text) ? null : parseAddressInto(text, groups) ?? false;
    }
    // A line written through logger(1) may put kilobytes where the address goes: at 65,536 of them the map
    // would hold hundreds of MB. No address that parseAddress takes is that long, and none is kept (UNKEPT).
    if (slot !== UNKEPT) {
      // The text the slot answered for until now, if it was asked for again meanwhile, is kept for its return.
      const old = texts[slot];
      if (old !== undefined && again[slot] === 1) {
        if (interned.size >= INTERN_MAX) interned.clear();
        const before = answers[slot];
        interned.set(old, before === undefined ? false : before);
      }
      texts[slot] = text;
      again[slot] = 0;
    }
    const address = known === false ? undefined : known;
    answers[slot] = address;
    // parseAddress's text: IPv4 (folded from ::ffff:a.b.c.d) or canonical IPv6 without a zone, whose key it has.
    const value = address == null ? -1 : parseIPv4Span(address, 0, address.length);
    ipv4[slot] = value;
    if (value < 0 && address != null) {
      if (parsed) ipv6KeyOfGroups(groups, keys, slot * 4);
      else ipv6KeyInto(address, groups, keys, slot * 4);
    }
    return slot;
  };

  const slotOf = (b: Uint8Array, s: number, e: number): number => {
    const n = e - s;
    if (n > LONGEST) return answer(UNKEPT, latin1(b, s, e));
    if (b !== viewed) {
      view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      viewed = b;
    }
    // The bytes as little-endian words, the last 0 to 3 of them in `tail`; nothing at or past `e` is read.
    let h = n, i = s;
    for (; i + 4 <= e; i += 4) h = Math.imul(h ^ view.getInt32(i, true), 0x01000193);
    let tail = 0;
    for (let k = 0; i < e; i++, k += 8) tail |= b[i]! << k;
    h = Math.imul(h ^ tail, 0x01000193);
    const slot = (h ^ (h >>> 15)) & MASK, o = slot * WORDS;
    if (lengths[slot] === n) {
      let j = s, w = o;
      while (j + 4 <= e && view.getInt32(j, true) === words[w]) { j += 4; w++; }
      if (j + 4 > e && words[w] === tail) {
        again[slot] = 1;
        return slot;
      }
    }
    let w = o;
    for (let j = s; j + 4 <= e; j += 4) words[w++] = view.getInt32(j, true);
    words[w] = tail;
    lengths[slot] = n;
    return answer(slot, latin1(b, s, e));
  };

  return { slotOf, answers, ipv4, keys };
}

/** `b[s, e)` as a string of the same bytes (ASCII here); through Buffer's own decoder, 4× faster than `apply`. */
export const latin1 = (b: Uint8Array, s: number, e: number): string =>
  (b instanceof Buffer ? b.toString('latin1', s, e) : String.fromCharCode.apply(null, b.subarray(s, e) as unknown as number[]));
