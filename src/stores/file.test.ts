import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Ban } from '../core/types.js';
import { openFileStore, type FileStore } from './file.js';
import { openStore } from './index.js';
import { describeStoreProcesses, startWriter } from './store-processes.contract.js';
import { describeStoreContract, type StoreHarness } from './store.contract.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = 1_700_000_000_000;

const makeTempDir = (base = os.tmpdir()): string => fs.mkdtempSync(path.join(base, 'dictdefence-file-'));
/** Memory-backed when the machine has /dev/shm: for tests about size, where each fsync would only cost time. */
const FAST_DIR = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();

const nthAddress = (n: number): Address => {
  const parsed = parseAddress(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
  if (parsed === undefined) throw new Error(`Address number ${n} does not parse`);
  return parsed;
};
const ban = (n: number, bannedAt = T0, until: number | null = T0 + HOUR): Ban =>
  ({ address: nthAddress(n), jail: 'sshd', bannedAt, until, count: 1, reason: 'test' });

async function fileHarness(): Promise<StoreHarness> {
  const dir = makeTempDir();
  const file = path.join(dir, 'state.journal');
  let current: FileStore = await openFileStore({ path: file }, { hostname: 'test-host' });
  return {
    store: current,
    config: { type: 'file', path: file, retentionMs: 30 * DAY },
    async reopen() {
      await current.close();
      current = await openFileStore({ path: file }, { hostname: 'test-host' });
      return current;
    },
    async cleanup() {
      await current.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async injectInvalid(raw) {
      const id = 1_000_000 + Math.floor(Math.random() * 1_000_000);
      const record = { op: 'ban', id, address: raw, jail: 'sshd', bannedAt: T0, until: null, count: 1, reason: 'injected', origin: 'test', liftedAt: null, liftReason: null };
      const hits = { op: 'hits', keep: 10, hits: [{ address: raw, jail: 'sshd', at: T0, line: 'injected' }] };
      fs.appendFileSync(file, `${JSON.stringify(record)}\n${JSON.stringify(hits)}\n`);
    },
  };
}

describeStoreContract('file', fileHarness);
describeStoreProcesses('file', fileHarness, { sharedWriters: false });

describe('file store', () => {
  const dirs: string[] = [];
  const tempFile = (name = 'state.journal', base?: string): string => {
    const dir = makeTempDir(base);
    dirs.push(dir);
    return path.join(dir, name);
  };
  afterEach(() => { for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true }); });

  it('refuses a second open of the same journal while the first holds its lock, naming the holder', async () => {
    const file = tempFile();
    const first = await openFileStore({ path: file });
    await expect(openFileStore({ path: file }))
      .rejects.toThrow(`Cannot open file store "${file}": in use by process ${process.pid} (lock file "${file}.lock")`);
    await first.close();
    await (await openFileStore({ path: file })).close();
  });

  it('takes over the lock file of a process that no longer runs', async () => {
    const file = tempFile();
    const dead = startWriter({ type: 'file', path: file, retentionMs: DAY }, 0, 10_000, (acks, kill) => { if (acks.length === 10) kill(); });
    await dead.done;
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    const store = await openFileStore({ path: file });
    expect(fs.readFileSync(`${file}.lock`, 'utf8').trim()).toBe(String(process.pid));
    expect((await store.activeBans()).length).toBeGreaterThanOrEqual(10);
    await store.close();
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('creates a missing folder with mode 0700 and the journal and its lock with mode 0600', async () => {
    const file = path.join(path.dirname(tempFile()), 'nested', 'deeper', 'state.journal');
    const store = await openFileStore({ path: file });
    await store.addBan(ban(1));
    const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8);
    expect([mode(path.dirname(file)), mode(file), mode(`${file}.lock`)]).toEqual(['700', '600', '600']);
    await store.close();
  });

  it('ignores a torn last line and cuts it off before the next write', async () => {
    const file = tempFile();
    const store = await openFileStore({ path: file });
    await store.addBan(ban(1));
    await store.close();
    fs.appendFileSync(file, '{"op":"ban","id":2,"address":"10.0.0.2","jail":"ss');
    const again = await openFileStore({ path: file });
    expect((await again.activeBans()).map((b) => b.address)).toEqual([nthAddress(1)]);
    await again.addBan(ban(3));
    await again.close();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.every((l) => l === '' || JSON.parse(l) !== undefined)).toBe(true);
    const last = await openFileStore({ path: file });
    expect((await last.activeBans()).map((b) => b.address)).toEqual([nthAddress(1), nthAddress(3)]);
    await last.close();
  });

  it('skips and counts a damaged line in the middle of the journal and keeps the lines after it', async () => {
    const file = tempFile();
    const store = await openFileStore({ path: file });
    await store.addBan(ban(1));
    fs.appendFileSync(file, 'garbage from a bad sector\n');
    await store.addBan(ban(2));
    await store.close();
    const again = await openFileStore({ path: file });
    expect((await again.activeBans()).map((b) => b.address)).toEqual([nthAddress(1), nthAddress(2)]);
    expect(again.invalidRows).toBe(1);
    await again.close();
  });

  it('refuses a file that is not a journal without truncating it, with an error that names the file', async () => {
    const file = tempFile('state.db');
    fs.writeFileSync(file, 'SQLite format 3\u0000 not a journal');
    await expect(openFileStore({ path: file })).rejects.toThrow(`Cannot open file store "${file}": "${file}" is not a DictDefence file store journal`);
    expect(fs.readFileSync(file, 'utf8')).toBe('SQLite format 3\u0000 not a journal');
    const opened = await openStore({ type: 'file', path: file, retentionMs: DAY });
    expect(opened.ok ? '' : opened.error).toMatch(/--recover/);
  });

  it('compacts the journal into a snapshot by an atomic rename once it holds mostly dead records', async () => {
    const file = tempFile();
    const store = await openFileStore({ path: file, compactSlackBytes: 64 * 1024 });
    for (let n = 0; n < 2000; n++) {
      await store.setPosition('file:/var/log/auth.log', { inode: 7, offset: n * 100 });
    }
    await store.addBan(ban(1, T0, null));
    const bytes = fs.statSync(file).size;
    expect(bytes).toBeLessThan(64 * 1024 + 4096);
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    await store.close();
    const again = await openFileStore({ path: file });
    expect(await again.getPosition('file:/var/log/auth.log')).toEqual({ inode: 7, offset: 199_900 });
    expect((await again.activeBans())[0]).toMatchObject({ address: nthAddress(1), until: null });
    await again.close();
  });

  it('keeps ids growing after pruned rows are compacted away', async () => {
    const file = tempFile();
    const store = await openFileStore({ path: file, compactSlackBytes: 0 });
    const first = await store.addBan(ban(1));
    await store.liftBan('sshd', nthAddress(1), T0 + HOUR, 'expired');
    await store.prune(T0 + 2 * HOUR);
    await store.close();
    const again = await openFileStore({ path: file });
    expect((await again.addBan(ban(2))).id).toBeGreaterThan(first.id);
    await again.close();
  });

  it('exports from a journal that a running daemon holds, by reading it without the lock', async () => {
    const file = tempFile();
    const daemon = await openFileStore({ path: file });
    await daemon.addBan(ban(1));
    const reader = await openFileStore({ path: file, readOnly: true });
    const rows = [];
    for await (const row of reader.exportBans()) rows.push(row.address);
    expect(rows).toEqual([nthAddress(1)]);
    await expect(reader.addBan(ban(2))).rejects.toThrow('is open read-only');
    await reader.close();
    await daemon.close();
  });

  it('stays bounded with 30 days of retention while 20,000 distinct addresses are banned once over 60 days', async () => {
    const file = tempFile('state.journal', FAST_DIR);
    const clock = new ManualClock(T0);
    const store = await openFileStore({ path: file, compactSlackBytes: 256 * 1024 }, { clock });
    const total = 20_000, step = (60 * DAY) / total;
    let peakRows = 0, peakBytes = 0;
    for (let n = 0; n < total; n++) {
      const at = T0 + n * step;
      await store.addBan(ban(n, at, at + HOUR));
      await store.addHits([{ address: nthAddress(n), jail: 'sshd', at, line: `Failed password for root from ${nthAddress(n)}` }], 5);
      await store.liftBan('sshd', nthAddress(n), at + HOUR, 'expired');
      if (n % 500 === 0) await store.prune(at - 30 * DAY); // the daemon prunes hourly; 500 bans ≈ 36 hours here
      const stats = await store.stats();
      peakRows = Math.max(peakRows, stats.historyRows);
      peakBytes = Math.max(peakBytes, stats.bytes ?? 0);
    }
    // 30 of the 60 days are kept (plus one prune interval): half the rows, and the journal at most ~2x that.
    expect(peakRows).toBeLessThan(total / 2 + 600);
    const perRow = (await store.stats()).bytes ?? 0;
    expect(peakBytes).toBeLessThan(3 * perRow + 512 * 1024);
    await store.close();
  }, 120_000);
});
