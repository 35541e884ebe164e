import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Ban } from '../core/types.js';
import { openFileStore } from './file.js';
import { createQueueingStore, type QueueingStore } from './queueing.js';
import { StoreUnavailableError, type PortableStore } from './store.js';

const HOUR = 3_600_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const T0 = 1_700_000_000_000;

const address = (n: number): Address => parseAddress(`192.0.2.${n}`) ?? (() => { throw new Error('bad address'); })();
const ban = (n: number, bannedAt = T0): Ban => ({ address: address(n), jail: 'sshd', bannedAt, until: bannedAt + HOUR, count: 1, reason: 'test' });

/** How the stand-in server behaves: answering, refusing connections, silent, or writing but losing the answer. */
type Mode = 'up' | 'down' | 'silent' | 'lost-answer';

/** A real (file) store behind a switch that makes every call fail the way a network store does in an outage. */
interface Switch {
  current: Mode;
  refuse?: (method: string) => Error | undefined;
  /** Holds every call of this method until the promise settles (a slow answer). */
  hold?: { method: string; until: Promise<void> };
}

function flaky(inner: PortableStore, mode: Switch): PortableStore {
  const wrap = <A extends unknown[], R>(method: string, fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (mode.hold?.method === method) await mode.hold.until;
    const refusal = mode.refuse?.(method);
    if (refusal) throw refusal;
    if (mode.current === 'down') throw new StoreUnavailableError('connect ECONNREFUSED');
    if (mode.current === 'silent') return new Promise<R>(() => {});
    const result = await fn(...args);
    if (mode.current === 'lost-answer') throw new StoreUnavailableError('Connection lost: The server closed the connection.');
    return result;
  };
  return {
    type: 'flaky',
    addBan: wrap('addBan', (b: Ban, o?: string) => inner.addBan(b, o)),
    liftBan: wrap('liftBan', (j: string, a: Address, at: number, r: string) => inner.liftBan(j, a, at, r)),
    activeBans: wrap('activeBans', () => inner.activeBans()),
    banCount: wrap('banCount', (a: Address, j: string | undefined, s: number) => inner.banCount(a, j, s)),
    banHistory: wrap('banHistory', (a: Address, l: number) => inner.banHistory(a, l)),
    addHits: wrap('addHits', (h: Parameters<PortableStore['addHits']>[0], p: number) => inner.addHits(h, p)),
    recentHits: wrap('recentHits', (a: Address, l: number) => inner.recentHits(a, l)),
    prune: wrap('prune', (b: number) => inner.prune(b)),
    stats: wrap('stats', () => inner.stats()),
    getPosition: wrap('getPosition', (k: string) => inner.getPosition(k)),
    setPosition: wrap('setPosition', (k: string, p: Parameters<PortableStore['setPosition']>[1]) => inner.setPosition(k, p)),
    exportBans: () => inner.exportBans(),
    importBans: (rows) => inner.importBans(rows),
    close: () => inner.close(),
  };
}

describe('queueing store', () => {
  let dir: string;
  let inner: PortableStore;
  let mode: Switch;
  let clock: ManualClock;
  let store: QueueingStore;
  const warnings: string[] = [];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dictdefence-queue-'));
    inner = await openFileStore({ path: path.join(dir, 'state.journal') });
    mode = { current: 'up' };
    clock = new ManualClock(T0);
    warnings.length = 0;
    const log = { level: 'debug' as const, debug() {}, info: (m: string) => { warnings.push(m); }, warn: (m: string) => { warnings.push(m); }, error: (m: string) => { warnings.push(m); } };
    store = createQueueingStore(flaky(inner, mode), { clock, log, maxQueued: 5, timeoutMs: 1000 });
  });
  afterEach(async () => {
    mode.current = 'up';
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes straight through while the store answers', async () => {
    const added = await store.addBan(ban(1));
    expect(added.id).toBeGreaterThan(0);
    expect(await inner.activeBans()).toEqual([added]);
    expect(store.available).toBe(true);
  });

  it('queues writes while the store is down, resolves them at once, and replays them in order when it returns', async () => {
    mode.current = 'down';
    const stand = await store.addBan(ban(1));
    expect(stand.id).toBeLessThan(0);
    await store.liftBan('sshd', address(1), T0 + 1, 'manual unban');
    await store.addBan(ban(1, T0 + 2));
    await store.addBan(ban(2));
    await store.addHits([{ address: address(2), jail: 'sshd', at: T0, line: 'x' }], 5);
    await store.setPosition('journal', { cursor: 'a' });
    await store.setPosition('journal', { cursor: 'b' });
    // Five writes and one position: the second position replaced the first in the queue.
    expect(store.queued).toBe(6);
    expect(store.available).toBe(false);
    expect(await inner.activeBans()).toEqual([]);

    expect(await store.flush()).toBe(false);
    mode.current = 'up';
    expect(await store.flush()).toBe(true);
    expect(store.queued).toBe(0);
    expect((await inner.banHistory(address(1), 10)).map((b) => [b.bannedAt, b.liftReason])).toEqual([[T0 + 2, null], [T0, 'manual unban']]);
    expect((await inner.activeBans()).map((b) => b.address)).toEqual([address(1), address(2)]);
    expect(await inner.recentHits(address(2), 5)).toHaveLength(1);
    expect(await inner.getPosition('journal')).toEqual({ cursor: 'b' });
    expect(store.counters).toMatchObject({ outages: 1, replayed: 6, dropped: 0, failed: 0 });
    expect(warnings.some((w) => w.includes('unreachable'))).toBe(true);
    expect(warnings.some((w) => w.includes('reachable again; wrote 6 queued writes'))).toBe(true);
  });

  it('also writes what was queued while its reconnect probe was waiting for an answer', async () => {
    mode.current = 'down';
    await store.addBan(ban(1));
    mode.current = 'up';
    let answer = (): void => {};
    mode.hold = { method: 'getPosition', until: new Promise<void>((r) => { answer = r; }) };
    const flushed = store.flush();
    await sleep(5); // the queued ban is written; the probe now waits
    await store.addBan(ban(2));
    answer();
    expect(await flushed).toBe(true);
    expect(store.queued).toBe(0);
    expect((await inner.activeBans()).map((b) => b.address)).toEqual([address(1), address(2)]);
  });

  it('retries on its own, with the clock, until the store is back', async () => {
    mode.current = 'down';
    await store.addBan(ban(1));
    // Steps shorter than the call timeout, with a real pause after each so the retry can finish.
    const step = async (): Promise<void> => { clock.advance(900); await sleep(5); };
    for (let i = 0; i < 5; i++) await step();
    expect(store.available).toBe(false);
    mode.current = 'up';
    for (let i = 0; i < 40 && !store.available; i++) await step();
    expect(store.available).toBe(true);
    expect(await inner.activeBans()).toHaveLength(1);
  });

  it('returns the queued ban again instead of queueing a second one for the same jail and address', async () => {
    mode.current = 'down';
    const first = await store.addBan(ban(1));
    expect(await store.addBan(ban(1, T0 + 5))).toEqual(first);
    expect(store.queued).toBe(1);
  });

  it('refuses and counts writes beyond its bound, but keeps the newest position without counting it', async () => {
    mode.current = 'down';
    for (let n = 1; n <= 5; n++) await store.addBan(ban(n));
    await expect(store.addBan(ban(6))).rejects.toThrow('write queue is full (5)');
    await expect(store.setPosition('journal', { cursor: 'z' })).resolves.toBeUndefined();
    expect(store.counters.dropped).toBe(1);
    expect(warnings.filter((w) => w.includes('refusing more'))).toHaveLength(1);
  });

  it('answers banCount from the queued bans and getPosition from the queued position while down', async () => {
    mode.current = 'down';
    await store.addBan(ban(1));
    await store.addBan({ ...ban(1), jail: 'postfix' });
    await store.setPosition('journal', { cursor: 'q' });
    expect(await store.banCount(address(1), 'sshd', 0)).toBe(1);
    expect(await store.banCount(address(1), undefined, 0)).toBe(2);
    expect(await store.getPosition('journal')).toEqual({ cursor: 'q' });
    await expect(store.activeBans()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('counts a store that does not answer in time as down and queues the write', async () => {
    mode.current = 'silent';
    const pending = store.addBan(ban(1));
    await sleep(5); // the write starts (and arms its timeout) once the calls before it settled
    clock.advance(1000);
    expect((await pending).id).toBeLessThan(0);
    expect(store.available).toBe(false);
  });

  it('replays a write that landed before its answer was lost without making a second row', async () => {
    mode.current = 'lost-answer';
    await store.addBan(ban(1));
    mode.current = 'up';
    expect(await store.flush()).toBe(true);
    expect(await inner.banHistory(address(1), 10)).toHaveLength(1);
  });

  it('drops a queued write that the store refuses for another reason and replays the rest', async () => {
    mode.current = 'down';
    await store.addBan(ban(1));
    await store.addBan(ban(2));
    mode.current = 'up';
    let refused = false;
    mode.refuse = (method) => (method === 'addBan' && !refused ? ((refused = true), new Error('Data too long for column')) : undefined);
    expect(await store.flush()).toBe(true);
    expect(store.counters).toMatchObject({ failed: 1, replayed: 1 });
    expect((await inner.activeBans()).map((b) => b.address)).toEqual([address(2)]);
  });

  it('passes other failures through untouched while the store is up', async () => {
    mode.refuse = () => new Error('disk full');
    await expect(store.addBan(ban(1))).rejects.toThrow('disk full');
    expect(store.available).toBe(true);
    mode.refuse = undefined;
  });
});
