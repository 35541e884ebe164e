import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { openStore } from './index.js';
import * as sql from './schema-sqlite.js';
import { createSqliteStore, openSqliteStore, type SqliteStore } from './sqlite.js';
import { describeStoreProcesses } from './store-processes.contract.js';
import { describeStoreContract, type StoreHarness } from './store.contract.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

const makeTempDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'dictdefence-sqlite-'));

/** Opens the file beside the store, as another process or a careless admin would. */
function withRawDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

function insertRawBan(db: Database.Database, raw: string): void {
  db.prepare(sql.INSERT_BAN).run({
    address: raw, jail: 'sshd', bannedAt: T0, until: null, count: 1, reason: 'injected', origin: 'test',
  });
  db.prepare(sql.INSERT_HIT).run(raw, 'sshd', T0, 'injected', null);
}

/** The n-th of 2^24 distinct addresses in 10.0.0.0/8. */
const nthAddress = (n: number): Address => {
  const parsed = parseAddress(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
  if (parsed === undefined) throw new Error(`Address number ${n} does not parse`);
  return parsed;
};

async function sqliteHarness(): Promise<StoreHarness> {
  const dir = makeTempDir();
  const file = path.join(dir, 'state.db');
  let current: SqliteStore = createSqliteStore({ path: file }, { hostname: 'test-host' });
  return {
    store: current,
    config: { type: 'sqlite', path: file, retentionMs: 30 * 24 * HOUR },
    async reopen() {
      await current.close();
      current = createSqliteStore({ path: file }, { hostname: 'test-host' });
      return current;
    },
    async cleanup() {
      await current.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async injectInvalid(raw) { withRawDb(file, (db) => insertRawBan(db, raw)); },
  };
}

describeStoreContract('sqlite', sqliteHarness);
describeStoreProcesses('sqlite', sqliteHarness, { sharedWriters: true });

describe('sqlite store', () => {
  const dirs: string[] = [];
  const tempFile = (...parts: string[]): string => {
    const dir = makeTempDir();
    dirs.push(dir);
    return path.join(dir, ...parts);
  };
  afterEach(() => { for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true }); });

  it('refuses a file that is not a database with an error that names the file', async () => {
    const file = tempFile('state.db');
    fs.writeFileSync(file, 'this is not SQLite\n'.repeat(100));
    const expected = `Cannot open SQLite store "${file}": file is not a database`;
    expect(() => createSqliteStore({ path: file })).toThrow(expected);
    await expect(openSqliteStore({ path: file })).rejects.toThrow(expected);
    expect(await openStore({ type: 'sqlite', path: file, retentionMs: HOUR }))
      .toEqual({ ok: false, error: `${expected} (start with "dictdefence run --recover" to move it aside and begin with an empty store)` });
  });

  it('creates a missing folder with mode 0700 and the database and its WAL with mode 0600', async () => {
    const file = tempFile('nested', 'deeper', 'state.db');
    const store = createSqliteStore({ path: file });
    await store.setPosition('journal', { cursor: 'x' });
    const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8);
    expect(mode(path.dirname(file))).toBe('700');
    expect(mode(file)).toBe('600');
    expect(mode(`${file}-wal`)).toBe('600');
    await store.close();
  });

  it('records the schema version and opens the same file again without rerunning migrations', async () => {
    const file = tempFile('state.db');
    await createSqliteStore({ path: file }).close();
    const store = createSqliteStore({ path: file });
    await store.close();
    const version = withRawDb(file, (db) => db.prepare<[], { value: string }>(sql.GET_SCHEMA_VERSION).get());
    expect(version?.value).toBe(String(sql.MIGRATIONS.length));
  });

  it('refuses a file whose schema is newer than this version supports', async () => {
    const file = tempFile('state.db');
    await createSqliteStore({ path: file }).close();
    withRawDb(file, (db) => db.prepare(sql.SET_SCHEMA_VERSION).run('99'));
    expect(() => createSqliteStore({ path: file })).toThrow(`Cannot open SQLite store "${file}": schema version 99`);
  });

  it('prunes lifted bans older than the retention when it opens', async () => {
    const file = tempFile('state.db');
    const first = createSqliteStore({ path: file });
    const address = nthAddress(1);
    await first.addBan({ address, jail: 'sshd', bannedAt: T0, until: T0 + HOUR, count: 1, reason: 'test' });
    await first.liftBan('sshd', address, T0 + HOUR, 'expired');
    await first.close();
    const clock = new ManualClock(T0 + 3 * HOUR);
    const store = createSqliteStore({ path: file, retentionMs: HOUR }, { clock });
    expect(await store.banHistory(address, 10)).toEqual([]);
    await store.close();
  });

  it('counts and logs rows whose address does not parse, and ignores a position that is not JSON', async () => {
    const file = tempFile('state.db');
    const warnings: string[] = [];
    const log: Logger = { level: 'warn', error() {}, info() {}, debug() {}, warn: (m) => { warnings.push(m); } };
    const store = createSqliteStore({ path: file }, { log });
    withRawDb(file, (db) => {
      insertRawBan(db, '256.0.0.1');
      db.prepare(sql.SET_POSITION).run('file:/var/log/auth.log', '{"inode":', T0);
    });
    expect(await store.activeBans()).toEqual([]);
    expect(store.invalidRows).toBe(1);
    expect(await store.getPosition('file:/var/log/auth.log')).toBeUndefined();
    expect(warnings).toHaveLength(2);
    await store.close();
  });

  it('reads active bans a page at a time, a page with a damaged row or a newline in a field row by row, all in id order', async () => {
    const file = tempFile('state.db');
    const warnings: string[] = [];
    const log: Logger = { level: 'warn', error() {}, info() {}, debug() {}, warn: (m) => { warnings.push(m); } };
    const store = createSqliteStore({ path: file }, { log });
    // Three pages and a bit; reasons and origins that change within a page, a reason with a tab (any page may
    // hold one), a reason with a newline (its page is read row by row), a damaged address (its page too).
    const total = 3 * sql.ACTIVE_PAGE + 7;
    const reasonOf = (n: number): string =>
      n === 5 ? 'manual\tban' : n === sql.ACTIVE_PAGE + 3 ? 'two\nlines' : n % 3 === 0 ? '5 failures in 10m' : `reason ${n % 5}`;
    withRawDb(file, (db) => {
      const insert = db.prepare(sql.INSERT_BAN);
      db.transaction(() => {
        for (let n = 0; n < total; n++) {
          const address = n === 2 * sql.ACTIVE_PAGE + 10 ? '192.0.2.1\t' : nthAddress(n);
          insert.run({ address, jail: n % 2 === 0 ? 'sshd' : 'postfix', bannedAt: T0 + n, until: n % 4 === 0 ? null : T0 + HOUR, count: 1 + (n % 3), reason: reasonOf(n), origin: n < 100 ? 'web1' : 'web2' });
        }
      })();
    });
    const bans = await store.activeBans();
    expect(bans).toHaveLength(total - 1);
    expect(store.invalidRows).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(bans.map((b) => b.id)).toEqual([...bans.map((b) => b.id)].sort((a, b) => a - b));
    for (const b of bans) {
      const n = b.bannedAt - T0;
      expect(b).toEqual({
        id: b.id, address: nthAddress(n), jail: n % 2 === 0 ? 'sshd' : 'postfix', bannedAt: T0 + n, until: n % 4 === 0 ? null : T0 + HOUR,
        count: 1 + (n % 3), reason: reasonOf(n), origin: n < 100 ? 'web1' : 'web2', liftedAt: null, liftReason: null,
      });
    }
    // The same bans, read as before this change (a row at a time), are what the pages give.
    const rows = withRawDb(file, (db) => db.prepare<[], { id: number }>('SELECT id FROM bans WHERE lifted_at IS NULL ORDER BY id').all());
    expect(bans.map((b) => b.id)).toEqual(rows.map((r) => r.id).filter((id) => id !== 2 * sql.ACTIVE_PAGE + 11));
    await store.close();
  });

  it('counts earlier bans and records the one made from that count in one step (recordBanNow)', async () => {
    const store = createSqliteStore({ path: tempFile('state.db') }, { hostname: 'web1' });
    const a = nthAddress(7);
    await store.addBan({ address: a, jail: 'sshd', bannedAt: T0, until: T0 + HOUR, count: 1, reason: 'first' });
    await store.liftBan('sshd', a, T0 + HOUR, 'expired');
    await store.addBan({ address: a, jail: 'postfix', bannedAt: T0 + HOUR, until: T0 + 2 * HOUR, count: 1, reason: 'mail' });
    const asked: number[] = [];
    const make = (jail: string, at: number) => (previous: number) => {
      asked.push(previous);
      return { address: a, jail, bannedAt: at, until: at + HOUR, count: previous + 1, reason: 'again' };
    };
    // In sshd alone one earlier ban; over all jails two (the postfix one is active).
    const ban = store.recordBanNow(a, 'sshd', 'sshd', T0 - 1, make('sshd', T0 + 3 * HOUR));
    expect(ban).toEqual({ address: a, jail: 'sshd', bannedAt: T0 + 3 * HOUR, until: T0 + 4 * HOUR, count: 2, reason: 'again' });
    expect(await store.activeBans()).toEqual(expect.arrayContaining([expect.objectContaining({ jail: 'sshd', count: 2, origin: 'web1', reason: 'again' })]));
    await store.liftBan('sshd', a, T0 + 4 * HOUR, 'expired');
    expect(store.recordBanNow(a, 'sshd', undefined, T0 - 1, make('sshd', T0 + 5 * HOUR)).count).toBe(4);
    // Since a later time, the older bans do not count.
    await store.liftBan('sshd', a, T0 + 6 * HOUR, 'expired');
    expect(store.recordBanNow(a, 'sshd', 'sshd', T0 + 4 * HOUR, make('sshd', T0 + 7 * HOUR)).count).toBe(2);
    // An active ban is returned as it is, and nothing is made or written.
    asked.length = 0;
    expect(store.recordBanNow(a, 'sshd', 'sshd', T0 - 1, make('sshd', T0 + 8 * HOUR))).toMatchObject({ bannedAt: T0 + 7 * HOUR, count: 2 });
    expect(asked).toEqual([]);
    expect(await store.banHistory(a, 10)).toHaveLength(5);
    await store.close();
  });

  it('opens through openStore and refuses store types that are not available yet', async () => {
    const file = tempFile('state.db');
    const opened = await openStore({ type: 'sqlite', path: file, retentionMs: HOUR });
    if (!opened.ok) throw new Error(opened.error);
    expect(opened.value.type).toBe('sqlite');
    await opened.value.close();
    const postgres = { type: 'postgres', host: '127.0.0.1', port: 5432, user: 'dd', password: '', database: 'dd', tablePrefix: 'dd_', retentionMs: HOUR } as const;
    expect(await openStore(postgres)).toEqual({ ok: false, error: 'Store type "postgres" is not available yet' });
  });

  it('drops every row of 20,000 distinct addresses once their bans are lifted and pruned', async () => {
    const file = tempFile('state.db');
    const store = createSqliteStore({ path: file });
    const total = 20_000;
    for (let n = 0; n < total; n++) {
      await store.addBan({ address: nthAddress(n), jail: 'sshd', bannedAt: T0 + n, until: T0 + HOUR, count: 1, reason: 'x' });
    }
    for (let start = 0; start < total; start += 1000) {
      const hits = [];
      for (let n = start; n < start + 1000; n++) {
        for (let k = 0; k < 3; k++) hits.push({ address: nthAddress(n), jail: 'sshd', at: T0 + n + k, line: `line ${n}` });
      }
      await store.addHits(hits, 2);
    }
    expect(await store.stats()).toMatchObject({ activeBans: total, historyRows: total, hitRows: 2 * total });
    for (let n = 0; n < total; n++) await store.liftBan('sshd', nthAddress(n), T0 + HOUR, 'expired');
    const before = (await store.stats()).bytes ?? 0;

    expect(await store.prune(T0 + 2 * HOUR)).toBe(3 * total);
    const after = await store.stats();
    expect(after).toMatchObject({ activeBans: 0, historyRows: 0, hitRows: 0 });
    // prune's incremental vacuum and truncating checkpoint give the space back without a full VACUUM.
    expect(after.bytes ?? Infinity).toBeLessThan(before / 4);
    await store.close();
  }, 180_000);
});
