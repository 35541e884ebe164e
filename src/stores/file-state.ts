import { parseAddress, type Address } from '../core/address.js';
import type { Hit } from '../core/types.js';
import type { Position } from '../sources/source.js';
import type { StoredBan } from './store.js';

/**
 * The file store's records and the in-memory state they build. The journal is a sequence of these records,
 * one JSON object per line; replaying them in order gives the state, and a snapshot is the shortest sequence
 * that gives the same state. Every store method that writes is "append a record, then apply it", so replay
 * after a crash is the very code that ran before it.
 */

export const JOURNAL_FORMAT = 'dictdefence-file-store';
export const JOURNAL_VERSION = 1;

export type BanRecord = { op: 'ban' } & Omit<StoredBan, 'address'> & { address: string };
export type HitRecord = { address: string; jail: string; at: number; line: string; rule?: number };
export type JournalRecord =
  | { op: 'header'; format: string; version: number; nextId: number }
  | BanRecord
  | { op: 'lift'; id: number; at: number; reason: string }
  | { op: 'hits'; keep: number; hits: HitRecord[] }
  | { op: 'pos'; key: string; value: Position; at: number }
  | { op: 'prune'; before: number };

/** A hit as held in memory: its address and jail are the keys it is filed under, so it does not repeat them. */
interface Kept { readonly at: number; readonly line: string; readonly rule: number; readonly seq: number }
const NO_RULE = -1;

/*
 * Memory layout. The whole state lives in memory, so it is laid out for size (docs/stores.md has the
 * measured cost): hits keep only time, line and rule; "which jails, which bans" per address is a bare number
 * or a small array rather than a Set, since nearly every address has one; indexes are nested by jail (a
 * handful) instead of keyed by a "jail address" string per row; and the strings that repeat on every row
 * (jail, reason, origin) are shared.
 */

/** Rough serialized sizes, used only to decide when the journal is worth compacting. */
const banBytes = (b: StoredBan): number => 170 + b.address.length + b.jail.length + b.reason.length + b.origin.length + (b.liftReason?.length ?? 0);
const keptBytes = (address: string, jail: string, h: Kept): number => 60 + address.length + jail.length + h.line.length;

type Ids = number | number[];
const idsOf = (ids: Ids | undefined): readonly number[] => (ids === undefined ? [] : typeof ids === 'number' ? [ids] : ids);
const withId = (ids: Ids | undefined, id: number): Ids => (ids === undefined ? id : [...idsOf(ids), id]);
const withoutId = (ids: Ids | undefined, id: number): Ids | undefined => {
  const rest = idsOf(ids).filter((x) => x !== id);
  return rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : rest;
};

/** A two-level map, jail then address: jails are few, so no per-row key string is made. */
function byJail<V>() {
  const outer = new Map<string, Map<string, V>>();
  return {
    get: (jail: string, address: string): V | undefined => outer.get(jail)?.get(address),
    set(jail: string, address: string, v: V): void {
      let inner = outer.get(jail);
      if (!inner) outer.set(jail, (inner = new Map()));
      inner.set(address, v);
    },
    delete(jail: string, address: string): void {
      const inner = outer.get(jail);
      inner?.delete(address);
      if (inner?.size === 0) outer.delete(jail);
    },
    jails: (): IterableIterator<string> => outer.keys(),
    *entries(): Generator<[string, string, V]> {
      for (const [jail, inner] of outer) for (const [address, v] of inner) yield [jail, address, v];
    },
    get size(): number { let n = 0; for (const inner of outer.values()) n += inner.size; return n; },
  };
}

export type FileState = ReturnType<typeof createFileState>;

/** `onInvalid` is told about every record whose address does not parse; such a record is skipped. */
export function createFileState(onInvalid: (what: string, raw: string) => void) {
  const bans = new Map<number, StoredBan>();
  const active = byJail<number>();
  const byAddress = new Map<string, Ids>();
  const hits = byJail<Kept[]>();
  const positions = new Map<string, { value: Position; at: number; bytes: number }>();
  const shared = new Map<string, string>();
  let nextId = 1, hitSeq = 0, liveBytes = 0, hitCount = 0;

  /** The one copy of a string that repeats on many rows; bounded, so odd values cannot grow it forever. */
  const share = (s: string): string => {
    const known = shared.get(s);
    if (known !== undefined) return known;
    if (shared.size < 10_000) shared.set(s, s);
    return s;
  };

  const forgetBan = (id: number): void => {
    const ban = bans.get(id);
    if (!ban) return;
    bans.delete(id);
    liveBytes -= banBytes(ban);
    const rest = withoutId(byAddress.get(ban.address), id);
    if (rest === undefined) byAddress.delete(ban.address); else byAddress.set(ban.address, rest);
    if (active.get(ban.jail, ban.address) === id) active.delete(ban.jail, ban.address);
  };

  const setHits = (jail: string, address: string, list: Kept[]): void => {
    if (list.length > 0) hits.set(jail, address, list); else hits.delete(jail, address);
  };

  const applyHits = (records: readonly HitRecord[], keep: number): void => {
    const touched = new Map<string, Set<Address>>();
    for (const r of records) {
      const address = parseAddress(r.address);
      if (address === undefined) { onInvalid('hit', r.address); continue; }
      const jail = share(r.jail);
      const kept: Kept = { at: r.at, line: r.line, rule: r.rule ?? NO_RULE, seq: hitSeq++ };
      const list = hits.get(jail, address) ?? [];
      list.push(kept);
      hits.set(jail, address, list);
      let addresses = touched.get(jail);
      if (!addresses) touched.set(jail, (addresses = new Set()));
      addresses.add(address);
      liveBytes += keptBytes(address, jail, kept);
      hitCount++;
    }
    for (const [jail, addresses] of touched) {
      for (const address of addresses) {
        const list = (hits.get(jail, address) ?? []).sort((a, b) => a.at - b.at || a.seq - b.seq);
        const dropped = list.splice(0, Math.max(0, list.length - keep));
        for (const d of dropped) { liveBytes -= keptBytes(address, jail, d); hitCount--; }
        setHits(jail, address, list);
      }
    }
  };

  const prune = (before: number): number => {
    let deleted = 0;
    for (const [id, ban] of bans) {
      if (ban.liftedAt !== null && ban.liftedAt < before) { forgetBan(id); deleted++; }
    }
    for (const [jail, address, list] of hits.entries()) { // deleting while iterating a Map is safe
      if (list.every((h) => h.at >= before)) continue;
      for (const d of list) if (d.at < before) { liveBytes -= keptBytes(address, jail, d); hitCount--; deleted++; }
      setHits(jail, address, list.filter((h) => h.at >= before));
    }
    return deleted;
  };

  const toHit = (address: Address, jail: string, h: Kept): Hit =>
    (h.rule === NO_RULE ? { address, jail, at: h.at, line: h.line } : { address, jail, at: h.at, line: h.line, rule: h.rule });

  return {
    get nextId() { return nextId; },
    get liveBytes() { return liveBytes; },

    /** Applies one record; `bytes` is its size in the journal. Returns how many rows a `prune` deleted. */
    apply(r: JournalRecord, bytes: number): number {
      switch (r.op) {
        case 'header': nextId = Math.max(nextId, r.nextId); return 0;
        case 'ban': {
          const address = parseAddress(r.address);
          nextId = Math.max(nextId, r.id + 1);
          if (address === undefined) { onInvalid('ban', r.address); return 0; }
          const ban: StoredBan = {
            id: r.id, address, jail: share(r.jail), bannedAt: r.bannedAt, until: r.until, count: r.count, reason: share(r.reason),
            origin: share(r.origin), liftedAt: r.liftedAt, liftReason: r.liftReason === null ? null : share(r.liftReason),
          };
          forgetBan(r.id);
          bans.set(r.id, ban);
          liveBytes += banBytes(ban);
          byAddress.set(address, withId(byAddress.get(address), r.id));
          if (ban.liftedAt === null) active.set(ban.jail, address, r.id);
          return 0;
        }
        case 'lift': {
          const ban = bans.get(r.id);
          if (!ban || ban.liftedAt !== null) return 0;
          const lifted = { ...ban, liftedAt: r.at, liftReason: share(r.reason) };
          bans.set(r.id, lifted);
          liveBytes += banBytes(lifted) - banBytes(ban);
          if (active.get(ban.jail, ban.address) === r.id) active.delete(ban.jail, ban.address);
          return 0;
        }
        case 'hits': applyHits(r.hits, r.keep); return 0;
        case 'pos': {
          liveBytes += bytes - (positions.get(r.key)?.bytes ?? 0);
          positions.set(r.key, { value: r.value, at: r.at, bytes });
          return 0;
        }
        case 'prune': return prune(r.before);
      }
    },

    activeBan(jail: string, address: Address): StoredBan | undefined {
      const id = active.get(jail, address);
      return id === undefined ? undefined : bans.get(id);
    },
    banAt(jail: string, address: Address, bannedAt: number): StoredBan | undefined {
      return idsOf(byAddress.get(address)).map((id) => bans.get(id)).find((b) => b?.jail === jail && b.bannedAt === bannedAt);
    },
    activeBans: (): StoredBan[] => [...active.entries()].map(([, , id]) => id).sort((a, b) => a - b).flatMap((id) => bans.get(id) ?? []),
    banCount(address: Address, jail: string | undefined, since: number): number {
      return idsOf(byAddress.get(address)).filter((id) => {
        const ban = bans.get(id);
        return ban !== undefined && ban.bannedAt >= since && (jail === undefined || ban.jail === jail);
      }).length;
    },
    banHistory(address: Address, limit: number): StoredBan[] {
      const rows = idsOf(byAddress.get(address)).flatMap((id) => bans.get(id) ?? []);
      return rows.sort((a, b) => b.bannedAt - a.bannedAt || b.id - a.id).slice(0, limit);
    },
    recentHits(address: Address, limit: number): Hit[] {
      const all = [...hits.jails()].flatMap((jail) => (hits.get(jail, address) ?? []).map((h) => ({ jail, h })));
      return all.sort((a, b) => b.h.at - a.h.at || b.h.seq - a.h.seq).slice(0, limit).map(({ jail, h }) => toHit(address, jail, h));
    },
    position: (key: string): Position | undefined => positions.get(key)?.value,
    /** Ids of every ban row in the order they were stored (ids only grow), for `store export` to page through. */
    banIds: (): number[] => [...bans.keys()],
    ban: (id: number): StoredBan | undefined => bans.get(id),
    counts: () => ({ activeBans: active.size, historyRows: bans.size, hitRows: hitCount }),

    /** The shortest journal that rebuilds this state: what compaction writes. */
    *snapshot(): Generator<JournalRecord> {
      yield { op: 'header', format: JOURNAL_FORMAT, version: JOURNAL_VERSION, nextId };
      for (const ban of bans.values()) yield { op: 'ban', ...ban };
      for (const [jail, address, list] of hits.entries()) {
        const records: HitRecord[] = list.map((h) => (h.rule === NO_RULE ? { address, jail, at: h.at, line: h.line } : { address, jail, at: h.at, line: h.line, rule: h.rule }));
        yield { op: 'hits', keep: records.length, hits: records };
      }
      for (const [key, { value, at }] of positions) yield { op: 'pos', key, value, at };
    },
  };
}
