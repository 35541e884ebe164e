import { afterAll, describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import { createTestDatabase, mariadbUnavailable, SHARED_MARIADB, sparePort, type TestDatabase } from '../../test/stores.js';
import { parseAddress, type Address } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { openStore } from './index.js';
import { openMysqlStore, type MysqlStore, type MysqlStoreOptions } from './mysql.js';
import * as schema from './schema-mysql.js';
import { describeStoreProcesses } from './store-processes.contract.js';
import { describeStoreContract, type StoreHarness } from './store.contract.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = 1_700_000_000_000;

// The shared server on this machine; one fresh database for this file's run, dropped at the end.
const why = await mariadbUnavailable();
const skip = why !== undefined && missing('MariaDB at 127.0.0.1:3306', why);

let database: Promise<TestDatabase> | undefined;
const db = (): Promise<TestDatabase> => (database ??= createTestDatabase());
afterAll(async () => { if (database) await (await database).drop(); });

let prefixes = 0;
const options = async (tablePrefix: string): Promise<MysqlStoreOptions> =>
  ({ ...SHARED_MARIADB, database: (await db()).name, tablePrefix });

async function dropTables(prefix: string): Promise<void> {
  for (const table of schema.TABLES(prefix)) await (await db()).query(`DROP TABLE IF EXISTS \`${table}\``);
}

const address = (text: string): Address => parseAddress(text) ?? (() => { throw new Error(`Bad test address ${text}`); })();
const ban = (a: Address, until: number | null): Ban => ({ address: a, jail: 'sshd', bannedAt: T0, until, count: 1, reason: 'test' });

async function mysqlHarness(): Promise<StoreHarness> {
  const prefix = `t${++prefixes}_`;
  const o = await options(prefix);
  let current: MysqlStore = await openMysqlStore(o, { hostname: 'test-host' });
  return {
    store: current,
    config: { type: 'mysql', ...o, retentionMs: 30 * DAY },
    async reopen() {
      await current.close();
      current = await openMysqlStore(o, { hostname: 'test-host' });
      return current;
    },
    async cleanup() {
      await current.close();
      await dropTables(prefix);
    },
    async injectInvalid(raw) {
      const q = schema.sqlFor(prefix);
      await (await db()).query(q.insertBan, [raw, 'sshd', T0, null, 1, 'injected', 'test', null, null]);
      await (await db()).query(q.insertHits(1), [raw, 'sshd', T0, 'injected', null]);
    },
  };
}

describeStoreContract('mysql', mysqlHarness, { skip });
describeStoreProcesses('mysql', mysqlHarness, { sharedWriters: true, skip });

describe.skipIf(skip)('mysql store', () => {
  it('creates its schema once when four daemons open a new database at the same moment', async () => {
    const o = await options('race_');
    const stores = await Promise.all([1, 2, 3, 4].map((n) => openMysqlStore(o, { hostname: `host-${n}` })));
    const rows = await (await db()).query('SELECT id, version FROM `race_schema_version`');
    expect(rows).toEqual([{ id: 1, version: schema.migrations('race_').length }]);
    await Promise.all(stores.map((s, i) => s.addBan({ ...ban(address('192.0.2.9'), null), bannedAt: T0 + i })));
    expect(await stores[0]?.activeBans()).toHaveLength(1);
    for (const s of stores) await s.close();
    await dropTables('race_');
  });

  it('refuses wrong credentials at open with an error that names the server but not the password', async () => {
    const o = { ...(await options('creds_')), user: 'dd_nobody', password: 'wrong-secret' };
    const error = `Cannot open MySQL store "dd_nobody@127.0.0.1:3306/${o.database}": Access denied for user 'dd_nobody'@`;
    await expect(openMysqlStore(o)).rejects.toThrow(error);
    const opened = await openStore({ type: 'mysql', ...o, retentionMs: DAY });
    expect(opened.ok ? '' : opened.error).toContain(error);
    expect(opened.ok ? '' : opened.error).not.toContain('wrong-secret');
  });

  it('refuses at open a server nobody listens on, naming it', async () => {
    const port = await sparePort();
    await expect(openMysqlStore({ ...(await options('down_')), port }))
      .rejects.toThrow(`Cannot open MySQL store "root@127.0.0.1:${port}/`);
  });

  it('refuses a table prefix that is not a plain identifier', async () => {
    await expect(openMysqlStore(await options('dd`; DROP TABLE x; --')))
      .rejects.toThrow('table_prefix "dd`; DROP TABLE x; --" may only hold letters, digits and "_"');
  });

  it('refuses a schema newer than this version supports', async () => {
    const o = await options('future_');
    await (await openMysqlStore(o)).close();
    await (await db()).query('UPDATE `future_schema_version` SET version = 99');
    await expect(openMysqlStore(o)).rejects.toThrow('schema version 99 is newer than this version of DictDefence supports');
    await dropTables('future_');
  });

  it('stores a permanent ban as NULL and the longest IPv6 address in full', async () => {
    const o = await options('cols_');
    const store = await openMysqlStore(o);
    const longest = address('2001:db8:ffff:ffff:ffff:ffff:ffff:ffff');
    await store.addBan(ban(longest, null));
    const rows = await (await db()).query('SELECT address, `until` FROM `cols_bans`');
    expect(rows).toEqual([{ address: longest, until: null }]);
    expect((await store.activeBans())[0]).toMatchObject({ address: longest, until: null });
    await store.close();
    await dropTables('cols_');
  });

  it('works with a dedicated user that holds only the rights docs/stores.md lists', async () => {
    const { name } = await db();
    const user = `dd_${process.pid}`;
    const root = await db();
    for (const host of ['localhost', '127.0.0.1']) {
      await root.query(`CREATE USER '${user}'@'${host}' IDENTIFIED BY 'pw-${user}'`);
      await root.query(`GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX ON \`${name}\`.* TO '${user}'@'${host}'`);
    }
    try {
      const store = await openMysqlStore({ ...(await options('rights_')), user, password: `pw-${user}` });
      const a = address('198.51.100.4');
      await store.addBan(ban(a, T0 + HOUR));
      await store.addHits([{ address: a, jail: 'sshd', at: T0, line: 'x' }], 5);
      await store.liftBan('sshd', a, T0 + HOUR, 'expired');
      await store.setPosition('journal', { cursor: 'c' });
      expect(await store.prune(T0 + 2 * HOUR)).toBe(2);
      expect(await store.stats()).toMatchObject({ activeBans: 0, historyRows: 0 });
      await store.close();
      // Once the schema exists, the rights to change it may go (docs/stores.md says so).
      for (const host of ['localhost', '127.0.0.1']) await root.query(`REVOKE CREATE, ALTER, INDEX ON \`${name}\`.* FROM '${user}'@'${host}'`);
      const again = await openMysqlStore({ ...(await options('rights_')), user, password: `pw-${user}` });
      await again.addBan(ban(a, null));
      await again.close();
    } finally {
      for (const host of ['localhost', '127.0.0.1']) await root.query(`DROP USER IF EXISTS '${user}'@'${host}'`);
      await dropTables('rights_');
    }
  });

  it('keeps every write when eight callers ban and lift neighbouring addresses at once', async () => {
    // Parallel transactions through the pool, as in the bench that once found a deadlock here (a lift that
    // locked every active ban it scanned): each write must land, retried if the server aborts it.
    const store = await openMysqlStore(await options('busy_'));
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let n = next++; n < 3000; n = next++) {
        const a = address(`10.3.${n >> 8}.${n & 255}`), at = T0 + n * 259_200;
        await store.addHits([{ address: a, jail: 'sshd', at, line: `Failed password for root from ${a}` }], 20);
        await store.addBan({ ...ban(a, at + HOUR), bannedAt: at });
        if (n % 2 === 0) await store.liftBan('sshd', a, at + HOUR, 'expired');
      }
    }));
    expect(await store.stats()).toMatchObject({ historyRows: 3000, activeBans: 1500, hitRows: 3000 });
    await store.close();
    await dropTables('busy_');
  }, 120_000);

  it('stays bounded with 30 days of retention while 5,000 distinct addresses are banned once over 60 days', async () => {
    const o = await options('bound_');
    const store = await openMysqlStore(o);
    const total = 5000, step = (60 * DAY) / total;
    let peak = 0;
    for (let n = 0; n < total; n++) {
      const at = T0 + n * step;
      const a = address(`10.1.${n >> 8}.${n & 255}`);
      await store.addBan({ ...ban(a, at + HOUR), bannedAt: at });
      await store.addHits([{ address: a, jail: 'sshd', at, line: `Failed password for root from ${a}` }], 5);
      await store.liftBan('sshd', a, at + HOUR, 'expired');
      if (n % 125 === 0) {
        await store.prune(at - 30 * DAY);
        peak = Math.max(peak, (await store.stats()).historyRows);
      }
    }
    expect(peak).toBeLessThan(total / 2 + 150);
    await store.close();
    await dropTables('bound_');
  }, 300_000);
});
