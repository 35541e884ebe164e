import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAddress } from '../core/address.js';
import { CHECKPOINT_EVERY } from './deferred-checkpoint.js';
import { createSqliteStore, type SqliteStore } from './sqlite.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dd-checkpoint-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The WAL header's checkpoint sequence number: SQLite adds one each time it starts the WAL over after a checkpoint. */
function walSequence(file: string): number {
  const fd = fs.openSync(`${file}-wal`, 'r');
  try {
    const header = Buffer.alloc(16);
    fs.readSync(fd, header, 0, 16, 0);
    return header.readUInt32BE(12);
  } finally {
    fs.closeSync(fd);
  }
}

function banOf(store: SqliteStore, i: number): void {
  const address = parseAddress(`10.1.${i >> 8}.${i & 255}`);
  if (address === undefined) throw new Error(`no address for ${i}`);
  const at = 1_700_000_000_000 + i;
  store.recordBanNow(address, 'sshd', 'sshd', 0, (previous) => ({
    address, jail: 'sshd', bannedAt: at, until: at + 600_000, count: previous + 1, reason: 'test',
  }));
}

describe('the SQLite store\'s checkpoints', () => {
  it('never run inside a commit: they wait for the committing task to be over', async () => {
    const file = path.join(dir, 'deferred.db');
    const queued: (() => void)[] = [];
    const store = createSqliteStore({ path: file }, { schedule: (task) => { queued.push(task); } });
    banOf(store, 0);
    const first = walSequence(file);
    for (let i = 1; i < 2000; i++) banOf(store, i);
    // Past SQLite's own threshold (1,000 pages) many times over: by itself it would have checkpointed and started
    // the WAL over inside some of these commits.
    expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(4 * 1000 * 4096);
    expect(walSequence(file)).toBe(first);
    // One checkpoint queued, after CHECKPOINT_EVERY commits, and no second while it waits.
    expect(queued).toHaveLength(1);
    // The task checkpoints and starts the WAL over itself, so that the new header's fsync is not in the next
    // commit, which may be a ban's.
    queued.shift()?.();
    expect(walSequence(file)).toBe(first + 1);
    banOf(store, 2000);
    expect(walSequence(file)).toBe(first + 1);
    await store.close();
  });

  it('queue one every CHECKPOINT_EVERY commits, on the event loop by default', async () => {
    const file = path.join(dir, 'default.db');
    const store = createSqliteStore({ path: file });
    banOf(store, 0);
    const first = walSequence(file);
    for (let i = 1; i <= CHECKPOINT_EVERY; i++) banOf(store, i);
    expect(walSequence(file)).toBe(first);
    await new Promise((resolve) => { setImmediate(resolve); });
    expect(walSequence(file)).toBe(first + 1);
    await store.close();
  });
});
