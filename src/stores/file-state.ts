import { parseAddress, type Address } from '../core/address.js';
import { banKey, type Hit } from '../core/types.js';
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

interface Row { ban: StoredBan; bytes: number }
interface StoredHit { hit: Hit; seq: number; bytes: number }

/** Rough serialized size of a hit: its text plus the JSON around it. Used only to decide when to compact. */
const hitBytes = (h: HitRecord): number => h.line.length + h.address.length + h.jail.length + 60;

export type FileState = ReturnType<typeof createFileState>;

/** `onInvalid` is told about every record whose address does not parse; such a record is skipped. */
export function createFileState(onInvalid: (what: string, raw: string) => void) {
  const bans = new Map<number, Row>();
  const active = new Map<string, number>();
  const byAddress = new Map<string, Set<number>>();
  const hits = new Map<string, StoredHit[]>();
  const hitJails = new Map<string, Set<string>>();
  const positions = new Map<string, { value: Position; at: number; bytes: number }>();
  let nextId = 1, hitSeq = 0, liveBytes = 0, hitCount = 0;

  const forgetBan = (id: number): void => {
    const row = bans.get(id);
    if (!row) return;
    bans.delete(id);
    liveBytes -= row.bytes;
    const ids = byAddress.get(row.ban.address);
    ids?.delete(id);
    if (ids?.size === 0) byAddress.delete(row.ban.address);
    const key = banKey(row.ban.jail, row.ban.address);
    if (active.get(key) === id) active.delete(key);
  };

  const setHits = (key: string, address: string, jail: string, list: StoredHit[]): void => {
    if (list.length > 0) { hits.set(key, list); return; }
    hits.delete(key);
    const jails = hitJails.get(address);
    jails?.delete(jail);
    if (jails?.size === 0) hitJails.delete(address);
  };

  const applyHits = (records: readonly HitRecord[], keep: number): void => {
    const touched = new Map<string, { address: string; jail: string }>();
    for (const r of records) {
      const address = parseAddress(r.address);
      if (address === undefined) { onInvalid('hit', r.address); continue; }
      const key = banKey(r.jail, address);
      const hit: Hit = r.rule === undefined ? { address, jail: r.jail, at: r.at, line: r.line } : { address, jail: r.jail, at: r.at, line: r.line, rule: r.rule };
      const list = hits.get(key) ?? [];
      list.push({ hit, seq: hitSeq++, bytes: hitBytes(r) });
      hits.set(key, list);
      let jails = hitJails.get(address);
      if (!jails) hitJails.set(address, (jails = new Set()));
      jails.add(r.jail);
      touched.set(key, { address, jail: r.jail });
      liveBytes += hitBytes(r);
      hitCount++;
    }
    for (const [key, { address, jail }] of touched) {
      const list = (hits.get(key) ?? []).sort((a, b) => a.hit.at - b.hit.at || a.seq - b.seq);
      const dropped = list.splice(0, Math.max(0, list.length - keep));
      for (const d of dropped) { liveBytes -= d.bytes; hitCount--; }
      setHits(key, address, jail, list);
    }
  };

  const prune = (before: number): number => {
    let deleted = 0;
    for (const [id, row] of bans) {
      if (row.ban.liftedAt !== null && row.ban.liftedAt < before) { forgetBan(id); deleted++; }
    }
    for (const [key, list] of hits) {
      const keep = list.filter((h) => h.hit.at >= before);
      if (keep.length === list.length) continue;
      for (const d of list) if (d.hit.at < before) { liveBytes -= d.bytes; hitCount--; deleted++; }
      const first = list[0]?.hit;
      if (first) setHits(key, first.address, first.jail, keep);
    }
    return deleted;
  };

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
            id: r.id, address, jail: r.jail, bannedAt: r.bannedAt, until: r.until, count: r.count, reason: r.reason,
            origin: r.origin, liftedAt: r.liftedAt, liftReason: r.liftReason,
          };
          forgetBan(r.id);
          bans.set(r.id, { ban, bytes });
          liveBytes += bytes;
          let ids = byAddress.get(address);
          if (!ids) byAddress.set(address, (ids = new Set()));
          ids.add(r.id);
          if (ban.liftedAt === null) active.set(banKey(ban.jail, address), r.id);
          return 0;
        }
        case 'lift': {
          const row = bans.get(r.id);
          if (!row || row.ban.liftedAt !== null) return 0;
          row.ban = { ...row.ban, liftedAt: r.at, liftReason: r.reason };
          row.bytes += bytes;
          liveBytes += bytes;
          const key = banKey(row.ban.jail, row.ban.address);
          if (active.get(key) === r.id) active.delete(key);
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

    activeBan: (jail: string, address: Address): StoredBan | undefined => {
      const id = active.get(banKey(jail, address));
      return id === undefined ? undefined : bans.get(id)?.ban;
    },
    banAt(jail: string, address: Address, bannedAt: number): StoredBan | undefined {
      for (const id of byAddress.get(address) ?? []) {
        const ban = bans.get(id)?.ban;
        if (ban && ban.jail === jail && ban.bannedAt === bannedAt) return ban;
      }
      return undefined;
    },
    activeBans: (): StoredBan[] => [...active.values()].sort((a, b) => a - b).flatMap((id) => bans.get(id)?.ban ?? []),
    banCount(address: Address, jail: string | undefined, since: number): number {
      let n = 0;
      for (const id of byAddress.get(address) ?? []) {
        const ban = bans.get(id)?.ban;
        if (ban && ban.bannedAt >= since && (jail === undefined || ban.jail === jail)) n++;
      }
      return n;
    },
    banHistory(address: Address, limit: number): StoredBan[] {
      const rows = [...byAddress.get(address) ?? []].flatMap((id) => bans.get(id)?.ban ?? []);
      return rows.sort((a, b) => b.bannedAt - a.bannedAt || b.id - a.id).slice(0, limit);
    },
    recentHits(address: Address, limit: number): Hit[] {
      const all = [...hitJails.get(address) ?? []].flatMap((jail) => hits.get(banKey(jail, address)) ?? []);
      return all.sort((a, b) => b.hit.at - a.hit.at || b.seq - a.seq).slice(0, limit).map((h) => h.hit);
    },
    position: (key: string): Position | undefined => positions.get(key)?.value,
    /** Ids of every ban row in the order they were stored (ids only grow), for `store export` to page through. */
    banIds: (): number[] => [...bans.keys()],
    ban: (id: number): StoredBan | undefined => bans.get(id)?.ban,
    counts: () => ({ activeBans: active.size, historyRows: bans.size, hitRows: hitCount }),

    /** The shortest journal that rebuilds this state: what compaction writes. */
    *snapshot(): Generator<JournalRecord> {
      yield { op: 'header', format: JOURNAL_FORMAT, version: JOURNAL_VERSION, nextId };
      for (const { ban } of bans.values()) yield { op: 'ban', ...ban };
      for (const list of hits.values()) {
        const records: HitRecord[] = list.map(({ hit }) => hit);
        yield { op: 'hits', keep: records.length, hits: records };
      }
      for (const [key, { value, at }] of positions) yield { op: 'pos', key, value, at };
    },
  };
}
