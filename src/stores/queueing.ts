import type { Address } from '../core/address.js';
import { realClock, type Cancel, type Clock } from '../core/clock.js';
import { silentLogger, type Logger } from '../core/log.js';
import { banKey, type Ban } from '../core/types.js';
import type { Position } from '../sources/source.js';
import { StoreUnavailableError, type PortableStore, type Store, type StoredBan } from './store.js';

/*
 * A store decorator for network stores: when the server is unreachable, the daemon keeps banning.
 *
 * - Writes (addBan, liftBan, addHits, setPosition) run one at a time, in call order. One that fails with a
 *   StoreUnavailableError (or does not answer within `timeoutMs`) is queued in memory, the store counts as
 *   down, and every later write joins the queue behind it, so the server sees them in the order they were
 *   made. A queued write resolves at once: addBan with a stand-in row whose id is negative.
 * - The queue is bounded (`maxQueued`); when full, a write is refused (the daemon's persist() logs it; the
 *   ban is still applied) and counted in `counters.dropped`. Positions are coalesced per key, never refused.
 * - While down, a timer retries with a doubling back-off (1 s up to 30 s): the queue is replayed in order. A
 *   write may have reached the server before the connection broke; replaying it is harmless because addBan
 *   and liftBan are idempotent per active jail and address, hits are deduplicated by the store, and a
 *   position is overwritten. A queued write that the server refuses for another reason is logged and dropped,
 *   so one bad row cannot block the queue forever.
 * - Reads while down: banCount counts the queued bans (escalation during an outage sees only the outage's own
 *   bans), getPosition returns a queued position; the others reject with StoreUnavailableError.
 */

export interface QueueingOptions {
  /** Writes kept while the store is down. Default 10,000 (a few MB). */
  readonly maxQueued?: number;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Which rejections mean "unreachable, retry later". Default: a StoreUnavailableError. */
  readonly isUnavailable?: (e: unknown) => boolean;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** A call that takes longer counts as an outage (a server cut off by the network answers nothing). */
  readonly timeoutMs?: number;
}

export interface QueueCounters {
  /** Writes refused because the queue was full. */
  dropped: number;
  /** Queued writes written once the store was back. */
  replayed: number;
  /** Queued writes the store refused on replay (logged, dropped). */
  failed: number;
  /** Times the store went down. */
  outages: number;
}

export interface QueueingStore extends PortableStore {
  readonly inner: PortableStore;
  readonly counters: Readonly<QueueCounters>;
  /** Writes waiting for the store. */
  readonly queued: number;
  readonly available: boolean;
  /** Replays the queue now (tests, and close); resolves true when it is empty and the store answers. */
  flush(): Promise<boolean>;
}

interface Op {
  readonly kind: 'addBan' | 'liftBan' | 'addHits' | 'setPosition';
  readonly run: (s: Store) => Promise<unknown>;
  /** setPosition: its key, so that a newer position replaces a queued one. */
  readonly key?: string;
  position?: Position;
  /** addBan: the stand-in row handed to the caller. */
  readonly stand?: StoredBan;
}

const noop = (): void => {};

export function createQueueingStore(inner: PortableStore, options: QueueingOptions = {}): QueueingStore {
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? realClock;
  const maxQueued = options.maxQueued ?? 10_000;
  const isUnavailable = options.isUnavailable ?? ((e: unknown) => e instanceof StoreUnavailableError);
  const retryMin = options.retryMinMs ?? 1000, retryMax = options.retryMaxMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const counters: QueueCounters = { dropped: 0, replayed: 0, failed: 0, outages: 0 };
  const queue: Op[] = [];
  /** Stand-in rows of queued bans still active, by jail and address: addBan stays idempotent while down. */
  const standIns = new Map<string, StoredBan>();
  let down = false, closed = false, fullReported = false, standInIds = 0, backoff = retryMin;
  let tail: Promise<unknown> = Promise.resolve();
  let retry: Cancel | undefined;
  let replaying: Promise<boolean> | undefined;

  const withTimeout = <T>(p: Promise<T>): Promise<T> => new Promise<T>((resolve, reject) => {
    const cancel = clock.setTimer(clock.now() + timeoutMs, () => {
      reject(new StoreUnavailableError(`the ${inner.type} store did not answer within ${timeoutMs} ms`));
    });
    p.then((v) => { cancel(); resolve(v); }, (e: unknown) => { cancel(); reject(e); });
  });
  const unavailable = (e: unknown): boolean => isUnavailable(e) || e instanceof StoreUnavailableError;

  const scheduleRetry = (): void => {
    if (retry || closed) return;
    retry = clock.setTimer(clock.now() + backoff, () => { retry = undefined; void replay(); });
    backoff = Math.min(backoff * 2, retryMax);
  };

  const markDown = (e: unknown): void => {
    if (down) return;
    down = true;
    counters.outages++;
    log.warn(`The ${inner.type} store is unreachable; queueing writes in memory (at most ${maxQueued}) until it returns`, {
      error: e instanceof Error ? e.message : String(e),
    });
    scheduleRetry();
  };

  const enqueue = (op: Op): void => {
    if (op.kind === 'setPosition') {
      const same = queue.find((q) => q.kind === 'setPosition' && q.key === op.key);
      if (same) { same.position = op.position; return; }
    } else if (queue.length >= maxQueued) {
      counters.dropped++;
      if (!fullReported) log.error(`The ${inner.type} store is still unreachable and ${maxQueued} writes are queued: refusing more until it returns`);
      fullReported = true;
      throw new StoreUnavailableError(`the ${inner.type} store is unreachable and its write queue is full (${maxQueued})`);
    }
    queue.push(op);
  };

  /** Runs a write now, or queues it; `fallback` is what the caller gets when it was queued. */
  const write = <T>(op: Op, fallback: () => T): Promise<T> => {
    if (closed) return Promise.reject(new Error(`The ${inner.type} store is closed`));
    const attempt = tail.then(async () => {
      if (down) { enqueue(op); return fallback(); }
      try {
        return (await withTimeout(op.run(inner))) as T;
      } catch (e) {
        if (!unavailable(e)) throw e;
        markDown(e);
        enqueue(op);
        return fallback();
      }
    });
    tail = attempt.then(noop, noop);
    return attempt;
  };

  /** Replays the queue in order, then checks the store answers; true when it is back. */
  const replay = (): Promise<boolean> => {
    replaying ??= (async () => {
      const before = counters.replayed;
      // Writes made while the probe below is in flight are queued behind it: drain again until the queue is
      // empty at the moment the store answers, or they would be stranded once `down` is cleared.
      for (;;) {
        while (queue.length > 0) {
          const op = queue[0];
          if (!op) break;
          try {
            await withTimeout(op.run(inner));
            counters.replayed++;
            if (op.stand && standIns.get(banKey(op.stand.jail, op.stand.address)) === op.stand) standIns.delete(banKey(op.stand.jail, op.stand.address));
          } catch (e) {
            if (unavailable(e)) { scheduleRetry(); return false; }
            counters.failed++;
            log.error(`Dropped a queued ${op.kind} that the ${inner.type} store refused: ${(e as Error).message}`);
          }
          queue.shift();
        }
        try {
          await withTimeout(inner.getPosition('dictdefence:probe'));
        } catch (e) {
          if (unavailable(e)) { scheduleRetry(); return false; }
        }
        if (queue.length === 0) break;
      }
      if (down) log.info(`The ${inner.type} store is reachable again; wrote ${counters.replayed - before} queued writes`);
      down = false;
      fullReported = false;
      backoff = retryMin;
      return true;
    })().finally(() => { replaying = undefined; });
    return replaying;
  };

  /** A read that may fall back while the store is down; the others reject then. */
  const read = async <T>(fn: () => Promise<T>, fallback?: () => T): Promise<T> => {
    if (closed) throw new Error(`The ${inner.type} store is closed`);
    if (down) {
      if (fallback) return fallback();
      throw new StoreUnavailableError(`the ${inner.type} store is unreachable (${queue.length} writes queued)`);
    }
    try {
      return await withTimeout(fn());
    } catch (e) {
      if (!unavailable(e)) throw e;
      markDown(e);
      if (fallback) return fallback();
      throw e;
    }
  };

  const queuedBans = (): StoredBan[] => queue.flatMap((op) => (op.stand ? [op.stand] : []));

  return {
    inner,
    counters,
    type: inner.type,
    get queued() { return queue.length; },
    get available() { return !down; },
    flush: () => (down || queue.length > 0 ? replay() : Promise.resolve(true)),

    addBan(ban: Ban, origin?: string) {
      const key = banKey(ban.jail, ban.address);
      const pending = standIns.get(key);
      if (pending && down) return Promise.resolve(pending);
      const stand: StoredBan = { ...ban, id: -++standInIds, origin: origin ?? 'queued', liftedAt: null, liftReason: null };
      return write<StoredBan>({ kind: 'addBan', run: (s) => s.addBan(ban, origin), stand }, () => {
        standIns.set(key, stand);
        return stand;
      });
    },

    liftBan(jail: string, address: Address, at: number, reason: string) {
      return write<StoredBan | undefined>({ kind: 'liftBan', run: (s) => s.liftBan(jail, address, at, reason) }, () => {
        const pending = standIns.get(banKey(jail, address));
        standIns.delete(banKey(jail, address));
        return pending && { ...pending, liftedAt: at, liftReason: reason };
      });
    },

    addHits(hits, perAddress) {
      if (hits.length === 0) return Promise.resolve();
      return write<void>({ kind: 'addHits', run: (s) => s.addHits(hits, perAddress) }, noop);
    },

    setPosition(key, position) {
      const op: Op = { kind: 'setPosition', key, position, run: (s) => s.setPosition(key, op.position ?? position) };
      return write<void>(op, noop);
    },

    getPosition: (key) => read(() => inner.getPosition(key), () => {
      const op = queue.find((q) => q.kind === 'setPosition' && q.key === key);
      if (op?.position) return op.position;
      throw new StoreUnavailableError(`the ${inner.type} store is unreachable`);
    }),

    banCount: (address, jail, since) => read(() => inner.banCount(address, jail, since), () =>
      queuedBans().filter((b) => b.address === address && (jail === undefined || b.jail === jail) && b.bannedAt >= since).length),

    activeBans: () => read(() => inner.activeBans()),
    banHistory: (address, limit) => read(() => inner.banHistory(address, limit)),
    recentHits: (address, limit) => read(() => inner.recentHits(address, limit)),
    prune: (before) => read(() => inner.prune(before)),
    stats: () => read(async () => ({ ...(await inner.stats()), queuedWrites: queue.length, droppedWrites: counters.dropped })),
    exportBans: () => inner.exportBans(),
    importBans: (rows) => inner.importBans(rows),

    async close() {
      if (closed) return;
      await tail;
      if (queue.length > 0) await replay().catch(() => false);
      closed = true;
      retry?.();
      retry = undefined;
      if (queue.length > 0) log.error(`Lost ${queue.length} queued writes: the ${inner.type} store was still unreachable at stop`);
      await inner.close();
    },
  };
}
