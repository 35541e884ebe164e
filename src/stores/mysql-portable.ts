import type { Pool, PoolConnection } from 'mysql2/promise';
import { change, select, type BanRow } from './mysql-query.js';
import { decideImport, tally } from './portable.js';
import type { MysqlSql } from './schema-mysql.js';
import type { ImportResult, PortableBan, StoredBan } from './store.js';

/** Rows per page of an export, and per transaction of an import. */
const PAGE = 1000;

type Guard = <T>(fn: () => Promise<T>) => Promise<T>;
type InTransaction = <T>(fn: (c: PoolConnection) => Promise<T>) => Promise<T>;

/** `exportBans` and `importBans` of the MySQL store, sharing its guard, transactions and row reader. */
export function mysqlPortable(pool: Pool, q: MysqlSql, guard: Guard, inTransaction: InTransaction, toBans: (rows: BanRow[]) => StoredBan[]): {
  exportBans(): AsyncIterable<StoredBan>;
  importBans(rows: readonly PortableBan[]): Promise<ImportResult>;
} {
  const importSlice = (rows: readonly PortableBan[]): Promise<ImportResult> => inTransaction(async (c) => {
    const count = tally();
    for (const row of rows) {
      // Locking reads: a daemon writing the same jail and address meanwhile waits for this transaction.
      const [same] = await select<BanRow>(c, q.banAtForUpdate, [row.jail, row.address, row.bannedAt]);
      const active = await select<BanRow>(c, q.activeBanForUpdate, [row.jail, row.address]);
      const decision = decideImport(row, same && { liftedAt: same.lifted_at }, active.length > 0);
      if (decision === 'lift' && same) await change(c, q.liftBan, [row.liftedAt, row.liftReason ?? 'imported', same.id]);
      if (decision === 'add') {
        await change(c, q.insertBan, [row.address, row.jail, row.bannedAt, row.until, row.count, row.reason, row.origin, row.liftedAt, row.liftReason]);
      }
      count.add(decision);
    }
    return count.result();
  });

  return {
    async *exportBans() {
      let after = 0;
      for (;;) {
        const rows = await guard(() => select<BanRow>(pool, q.bansAfter, [after, String(PAGE)]));
        if (rows.length === 0) return;
        after = Number(rows[rows.length - 1]?.id ?? after);
        yield* toBans(rows);
      }
    },

    importBans: (rows) => guard(async () => {
      let added = 0, lifted = 0, skipped = 0;
      for (let i = 0; i < rows.length; i += PAGE) {
        const r = await importSlice(rows.slice(i, i + PAGE));
        added += r.added; lifted += r.lifted; skipped += r.skipped;
      }
      return { added, lifted, skipped };
    }),
  };
}
