import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { createCoalescedSync } from './coalesced-sync.js';
import { createSqliteStore, type SqliteStore } from './sqlite.js';

// What `durable()` must cover: every commit made before it was called. The real WAL file is flushed by a
// stand-in datasync that notes how long the file was when the flush began; a flush that began before a
// commit cannot cover it.

const T0 = 1_700_000_000_000;
const addr = (n: number): Address => {
  const a = parseAddress(`192.0.2.${n}`);
  if (a === undefined) throw new Error('bad test address');
  return a;
};
const ban = (n: number): Ban => ({ address: addr(n), jail: 'sshd', bannedAt: T0, until: T0 + 60_000, count: 1, reason: 'test' });

interface Gate { readonly open: () => void; readonly fail: (e: Error) => void }

/** A datasync that records the WAL's size when it starts, and waits for the test to let it finish. */
function heldDatasync(wal: string) {
  const sizes: number[] = [];
  const gates: Gate[] = [];
  const datasync = async (f: fs.promises.FileHandle): Promise<void> => {
    sizes.push(fs.statSync(wal).size);
    await new Promise<void>((resolve, reject) => gates.push({ open: resolve, fail: reject }));
    await f.datasync();
  };
  return { sizes, gates, datasync };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
/** Waits for `ok` (a flush's first steps are real file system calls: their time depends on the machine). */
const until = async (ok: () => boolean): Promise<void> => {
  for (const end = Date.now() + 10_000; !ok(); await settle()) if (Date.now() > end) throw new Error('timed out');
};

describe('SQLite durable(): the WAL flush behind a ban', () => {
  const opened: { store: SqliteStore; dir: string }[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.store.close();
      fs.rmSync(o.dir, { recursive: true, force: true });
    }
  });
  const open = (datasync?: (f: fs.promises.FileHandle) => Promise<void>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dictdefence-durable-'));
    const file = path.join(dir, 'state.db');
    const store = createSqliteStore({ path: file }, datasync ? { datasync } : {});
    opened.push({ store, dir });
    return { store, wal: `${file}-wal` };
  };
  /** A store whose WAL flushes the test holds and releases (see heldDatasync). */
  const openHeld = () => {
    let held: ReturnType<typeof heldDatasync> | undefined;
    const { store, wal } = open((f) => held!.datasync(f));
    held = heldDatasync(wal);
    return { store, wal, held };
  };

  it('addBan resolves once committed and starts the flush that durable() then waits for', async () => {
    const { store, wal, held } = openHeld();

    const row = await store.addBan(ban(1));
    expect(row.address).toBe(addr(1));
    const sizeAfterCommit = fs.statSync(wal).size;
    await until(() => held.sizes.length > 0);
    expect(held.sizes).toEqual([sizeAfterCommit]); // started by addBan itself, after the commit
    let done = false;
    const durable = store.durable().then(() => { done = true; });
    await settle();
    expect(done).toBe(false); // the flush is still held
    held.gates[0]!.open();
    await durable;
    expect(held.sizes).toHaveLength(1); // joined the running flush: it began after the commit
  });

  it('a commit made while a flush runs waits for the next flush, and one flush serves all who waited', async () => {
    const { store, wal, held } = openHeld();

    await store.addBan(ban(1));
    await until(() => held.gates.length > 0);
    expect(held.gates).toHaveLength(1);
    const resolved: number[] = [];
    const waits = [2, 3, 4].map(async (n) => {
      await store.addBan(ban(n));
      await store.durable();
      resolved.push(n);
    });
    await settle();
    const lastCommit = fs.statSync(wal).size;
    held.gates[0]!.open();
    await until(() => held.gates.length > 1);
    expect(resolved).toEqual([]); // the first flush began before their commits
    expect(held.gates).toHaveLength(2);
    expect(held.sizes[1]).toBe(lastCommit); // the second covers all three
    held.gates[1]!.open();
    await Promise.all(waits);
    expect(resolved.sort()).toEqual([2, 3, 4]);
    expect(held.sizes).toHaveLength(2);
  });

  it('durable() with nothing committed since the last flush does not flush again', async () => {
    let flushes = 0;
    const { store } = open(async (f) => { flushes++; await f.datasync(); });
    await store.addBan(ban(1));
    await store.durable();
    expect(flushes).toBe(1);
    await store.durable();
    await store.banCount(addr(1), 'sshd', 0);
    await store.durable();
    expect(flushes).toBe(1);
    await store.addHits([{ address: addr(1), jail: 'sshd', at: T0, line: 'x', rule: 0 }], 10);
    await store.durable();
    expect(flushes).toBe(2);
  });

  it('a failed flush rejects durable() and the next durable() tries again', async () => {
    let fail = true;
    const { store } = open(async (f) => {
      if (fail) throw new Error('EIO: i/o error, fdatasync');
      await f.datasync();
    });
    await store.addBan(ban(1));
    await expect(store.durable()).rejects.toThrow(/EIO/);
    fail = false;
    await expect(store.durable()).resolves.toBeUndefined();
  });

  it('the ban is in the file for another connection as soon as addBan resolved (it survives the process)', async () => {
    const { store, wal } = open();
    await store.addBan(ban(7));
    const other = createSqliteStore({ path: wal.slice(0, -'-wal'.length) });
    try {
      expect((await other.activeBans()).map((b) => b.address)).toEqual([addr(7)]);
    } finally {
      await other.close();
    }
  });
});

describe('createCoalescedSync', () => {
  it('answers each request with a flush that started after the writes before it, one flush for all waiters', async () => {
    const started: number[] = [];
    const gates: (() => void)[] = [];
    let writes = 0;
    const sync = createCoalescedSync(() => {
      started.push(writes);
      return new Promise<void>((r) => gates.push(r));
    });
    await sync.request(); // nothing written: nothing to flush
    expect(started).toEqual([]);
    const write = () => { writes++; sync.wrote(); };
    write();
    const a = sync.request();
    const a2 = sync.request(); // the running flush covers it: no second flush
    write();
    const b = sync.request();
    let bDone = false;
    void b.then(() => { bDone = true; });
    write();
    const c = sync.request();
    expect(started).toEqual([1]);
    gates[0]!();
    await Promise.all([a, a2]);
    await settle();
    expect(bDone).toBe(false); // its write came after the first flush started
    expect(started).toEqual([1, 3]); // b and c share the second
    gates[1]!();
    await Promise.all([b, c]);
    await sync.idle();
    expect(started).toHaveLength(2);
  });

  it('a failed flush covers nothing: the next request flushes again', async () => {
    let calls = 0;
    const sync = createCoalescedSync(async () => {
      calls++;
      if (calls === 1) throw new Error('EIO');
    });
    sync.wrote();
    await expect(sync.request()).rejects.toThrow('EIO');
    await expect(sync.request()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
