import type { Action } from '../actions/action.js';
import { sharedInterner, type Address } from '../core/address.js';
import type { CidrSet } from '../core/cidr.js';
import type { Hit, LogLine, Offence } from '../core/types.js';
import { NO_KEY, NO_MATCH, OTHER_ADDRESS, UNSURE, scanIPv4LineOf, type IPv4Hit } from '../filters/fast/index.js';
import type { Filter, Match } from '../filters/filter.js';
import type { Notifier } from '../notifiers/notifier.js';
import type { Source } from '../sources/source.js';
import type { Tracker } from '../trackers/tracker.js';
import type { JailConfig } from '../config/types.js';
import { createRecentLines, type RecentLinesLimits } from './recent-lines.js';

export interface JailCounters {
  /**
   * Lines its sources delivered, whether or not its filter was asked: a line the router (router.ts) knew
   * the filter cannot match (another program's) is counted here, not in the filter's own `lines`.
   */
  lines: number;
  matched: number;
  whitelisted: number;
  offences: number;
}

/**
 * One service: sources feed lines through its filter and the whitelist into its tracker. `handle` is the hot
 * path — synchronous, no store, no process — and hands each offence, with the lines that led to it, to the
 * daemon.
 */
export interface Jail {
  readonly name: string;
  readonly config: JailConfig;
  readonly filter: Filter;
  readonly tracker: Tracker;
  readonly sources: readonly Source[];
  readonly actions: readonly Action[];
  readonly notifiers: readonly Notifier[];
  readonly counters: JailCounters;
  /**
   * Runs `lines` through the filter, in order. `delivered` is how many lines its sources delivered in the
   * batch `lines` was routed from (the router leaves out lines the filter cannot match); `lines.length` by
   * default.
   */
  handle(lines: readonly LogLine[], delivered?: number): void;
  /**
   * Present when the filter reads lines as bytes (filters/fast) and the jail can ask bans by IPv4 value:
   * `handle` for the one line `b[start, end)` (ASCII, no NUL, within the cap, as the line splitter's sink
   * offers them), read from the source `source` at `receivedAt`, counted as delivered. Decides as `handle`
   * does, and makes a string of the line only where a string is needed: a line the reader is unsure of, an
   * address that is not IPv4, a hit.
   */
  readonly takeBytes?: (b: Buffer, start: number, end: number, source: string, receivedAt: number) => void;
  /** Lines recently seen for an address (bounded), oldest first; taken by the ban that uses them. */
  recentHits(address: Address): Hit[];
  /**
   * Drops what the jail knows of an address. With `pardonedAt`, hits timed before that moment are ignored
   * afterwards, so a replayed old log does not ban again an address an administrator just unbanned.
   */
  forget(address: Address, pardonedAt?: number): void;
  /**
   * Drops tracker entries that can no longer lead to a ban. A jail timed by its lines' own timestamps (a
   * replay of an old log) sweeps at the newest line time it saw, not at the wall clock, or it would throw
   * away every half-built window of the replay.
   */
  sweep(now: number): void;
}

export interface JailParts {
  readonly config: JailConfig;
  readonly filter: Filter;
  readonly tracker: Tracker;
  readonly sources: readonly Source[];
  readonly actions: readonly Action[];
  readonly notifiers: readonly Notifier[];
  readonly whitelist: CidrSet;
  /** Skip addresses that are banned in this jail already (lines still in flight after a ban). */
  readonly isBanned: (address: Address) => boolean;
  /**
   * `isBanned` for an IPv4 address by its 32-bit value, answering exactly as `isBanned` does. With it, a
   * filter that reads IPv4 addresses as numbers (filters/fast) decides the lines of banned addresses without
   * making a string or a `Match` of them.
   */
  readonly isBannedIPv4?: (v4: number) => boolean;
  readonly onOffence: (offence: Offence, hits: Hit[]) => void;
  /** Lines kept per address for `why` and e-mail (recent-lines.ts; the newest hits of all addresses are kept). */
  readonly hitsPerAddress: number;
  readonly recentLimits?: RecentLinesLimits;
}

/** Pardoned addresses remembered at most (the oldest pardon is dropped first). */
const MAX_PARDONS = 10_000;

export function createJail(p: JailParts): Jail {
  const counters: JailCounters = { lines: 0, matched: 0, whitelisted: 0, offences: 0 };
  const name = p.config.name;
  const useLineTime = p.config.useLineTime;
  let newestAt = 0;
  const recent = createRecentLines(name, Math.max(1, p.hitsPerAddress), p.recentLimits);
  const pardons = new Map<Address, number>();
  // Read once: the parts come in objects of many shapes (one per caller), and a property read at a site that
  // saw many shapes is a slow, generic one, here on every line of every jail.
  const { filter, tracker, whitelist, isBanned, onOffence } = p;
  const match = filter.match;

  /** A hit's time: the line's own where the jail goes by line times and the line has one, else when it was read. */
  const hitTime = (time: number | undefined, receivedAt: number): number => (useLineTime && time !== undefined ? time : receivedAt);
  const interner = sharedInterner();
  /**
   * When the hit of `address` (or of the IPv4 address whose value it is) at `at` counts: not before a pardon
   * of its address. An IPv4 value's text is made only when there is a pardon to look it up in.
   */
  const counts = (address: Address | number, at: number): boolean => {
    if (at > newestAt) newestAt = at;
    if (pardons.size === 0) return true;
    const pardoned = pardons.get(typeof address === 'number' ? interner.ofIPv4(address) : address);
    return pardoned === undefined || at > pardoned;
  };
  const offend = (offence: Offence | undefined, address: Address): void => {
    if (!offence) return;
    counters.offences++;
    onOffence(offence, recent.take(address));
  };

  /** A match of `address` that is neither banned nor whitelisted: a hit, and perhaps an offence. */
  const hitOf = (address: Address, rule: number, time: number | undefined, line: LogLine): void => {
    const at = hitTime(time, line.receivedAt);
    if (!counts(address, at)) return;
    recent.add(address, at, rule, line.text);
    offend(tracker.record({ address, jail: name, at, line: line.text, rule }), address);
  };

  // Banned first: after a ban its address's lines still in flight, or those of an attacker the firewall does
  // not stop (another port, a proxy), are most matches a jail sees. Only a ban forced on a whitelisted address
  // then goes uncounted as whitelisted while it lasts.
  const judge = (m: Match, line: LogLine): void => {
    counters.matched++;
    if (isBanned(m.address)) return;
    if (whitelist.has(m.address)) { counters.whitelisted++; return; }
    hitOf(m.address, m.rule, m.time, line);
  };

  // The filter's reader of IPv4 addresses as numbers, where it has one and the daemon answers by number: a line
  // of a banned address (most of an attack's) then costs no string, no Match and no Set lookup of a string.
  const scan = p.isBannedIPv4 === undefined ? undefined : scanIPv4LineOf(filter);
  const bannedIPv4 = p.isBannedIPv4 ?? ((): boolean => false);
  const found: IPv4Hit = { v4: 0, time: 0, address: '' as Address, rule: 0, key: NO_KEY, keyAt: 0 };
  const recordIPv4 = tracker.recordIPv4?.bind(tracker);

  // The line the reader answered for: a LogLine, or bytes of the read buffer that become one only where a
  // string is needed (a line the reader is unsure of, an address that is not IPv4, a hit). Set right before
  // `settle`, which runs synchronously.
  let current: LogLine | undefined;
  let bytes: Buffer | undefined, from = 0, to = 0, bytesSource = '', bytesAt = 0;
  const currentLine = (): LogLine =>
    (current ??= { text: bytes!.toString('latin1', from, to), source: bytesSource, receivedAt: bytesAt });

  /**
   * Files a hit of `address` (its text, or an IPv4 address's value) in the ring, with the line's bytes on the
   * bytes path (no string is made of a hit): its time, or NaN when a pardon says it does not count.
   */
  const ringed = (address: Address | number, time: number | undefined, rule: number): number => {
    const line = bytes === undefined ? currentLine() : undefined;
    const at = hitTime(time, line === undefined ? bytesAt : line.receivedAt);
    if (!counts(address, at)) return NaN;
    if (line === undefined) recent.addBytes(address, at, rule, bytes!, from, to);
    else recent.add(address, at, rule, line.text);
    return at;
  };

  const recordIPv6 = tracker.recordIPv6?.bind(tracker);
  /**
   * The reader's IPv6 match (`found`), decided as `judge` decides a Match, but the tracker takes the address's
   * key words: a line of an address the tracker holds costs no string and no parse, as an IPv4 address's
   * line. The bench's IPv6 lines alone, five times over (445,000 lines), through the sshd jail: 650 → 530 ms
   * with the reader's cache of them (filters/fast/candidates.ts; medians of 9, interleaved).
   */
  const settleIPv6 = (time: number | undefined): void => {
    counters.matched++;
    const address = found.address;
    if (isBanned(address)) return;
    if (whitelist.hasIPv6(address, found.key, found.keyAt)) { counters.whitelisted++; return; }
    const at = ringed(address, time, found.rule);
    if (Number.isNaN(at)) return;
    offend(recordIPv6 !== undefined
      ? recordIPv6(found.key, found.keyAt, address, name, at)
      : tracker.record({ address, jail: name, at, line: current?.text ?? '', rule: found.rule }), address);
  };

  /** What the reader's answer `r` for the current line means (every answer but NO_MATCH). */
  const settle = (r: number, entry: NonNullable<typeof scan>): void => {
    if (r === UNSURE) {
      const line = currentLine();
      const m = entry.regexes(line.text);
      if (m) judge(m, line);
      return;
    }
    const time = Number.isNaN(found.time) ? undefined : found.time;
    if (r === OTHER_ADDRESS) return settleIPv6(time);
    counters.matched++;
    const v4 = found.v4;
    if (bannedIPv4(v4)) return;
    if (whitelist.hasIPv4(v4)) { counters.whitelisted++; return; }
    // The ring and the tracker take the address as its value: its text is made only for a pardon to look up,
    // an offence, or a tracker that takes no number (a flood of new addresses: one text per hit otherwise).
    const at = ringed(v4, time, r);
    if (Number.isNaN(at)) return;
    const offence = recordIPv4 !== undefined
      ? recordIPv4(v4, name, at)
      : tracker.record({ address: interner.ofIPv4(v4), jail: name, at, line: current?.text ?? '', rule: r });
    if (offence !== undefined) offend(offence, offence.address);
  };

  const handleScanned = (lines: readonly LogLine[], entry: NonNullable<typeof scan>): void => {
    const read = entry.scan;
    for (const line of lines) {
      const r = read(line.text, found);
      if (r === NO_MATCH) continue;
      current = line;
      settle(r, entry);
    }
    current = undefined;
  };

  const takeBytes = scan === undefined ? undefined : (b: Buffer, start: number, end: number, source: string, receivedAt: number): void => {
    counters.lines++;
    const r = scan.bytes(b, start, end, found);
    if (r === NO_MATCH) return;
    current = undefined;
    bytes = b; from = start; to = end; bytesSource = source; bytesAt = receivedAt;
    settle(r, scan);
    current = undefined;
    bytes = undefined;
  };

  const handle = (lines: readonly LogLine[], delivered = lines.length): void => {
    counters.lines += delivered;
    if (scan !== undefined) return handleScanned(lines, scan);
    for (const line of lines) {
      const m = match(line.text);
      if (m) judge(m, line);
    }
  };

  return {
    name, config: p.config, filter: p.filter, tracker: p.tracker, sources: p.sources, actions: p.actions,
    notifiers: p.notifiers, counters, handle,
    ...(takeBytes === undefined ? {} : { takeBytes }),
    recentHits: (a) => recent.of(a),
    sweep: (now) => p.tracker.sweep(useLineTime ? newestAt : now),
    forget: (a, pardonedAt) => {
      p.tracker.forget(a);
      recent.delete(a);
      if (pardonedAt === undefined) return;
      pardons.delete(a);
      if (pardons.size >= MAX_PARDONS) {
        const oldest = pardons.keys().next().value;
        if (oldest !== undefined) pardons.delete(oldest);
      }
      pardons.set(a, pardonedAt);
    },
  };
}
