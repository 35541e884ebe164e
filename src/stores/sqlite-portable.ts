import type Database from 'better-sqlite3';
import { decideImport, tally } from './portable.js';
import * as sql from './schema-sqlite.js';
import type { ImportResult, PortableBan, StoredBan } from './store.js';

/** The columns of a `bans` row, as SQLite returns them. */
export interface BanRow {
  id: number; address: string; jail: string; banned_at: number; until: number | null; count: number;
  reason: string; origin: string; lifted_at: number | null; lift_reason: string | null;
}

type RowParams = Omit<PortableBan, 'address'> & { address: string };

/** Rows per page of an export: small enough that memory stays flat, large enough that paging costs nothing. */
const PAGE = 1000;

/**
 * `exportBans` and `importBans` of the SQLite store. `readBans` is the store's own row reader, which skips
 * (and counts) rows whose address does not parse, so an export never carries one.
 */
export function sqlitePortable(db: Database.Database, readBans: (rows: BanRow[]) => StoredBan[]): {
  exportBans(): AsyncIterable<StoredBan>;
  importBans(rows: readonly PortableBan[]): Promise<ImportResult>;
} {
  const q = {
    page: db.prepare<[number, number], BanRow>(sql.SELECT_BANS_AFTER),
    byTime: db.prepare<[string, string, number], BanRow>(sql.SELECT_BAN_BY_TIME),
    active: db.prepare<[string, string], BanRow>(sql.SELECT_ACTIVE_BAN),
    lift: db.prepare<[number, string, number], never>(sql.LIFT_BAN),
    insert: db.prepare<[RowParams], never>(sql.INSERT_BAN_ROW),
  };

  const importTx = db.transaction((rows: readonly PortableBan[]): ImportResult => {
    const count = tally();
    for (const row of rows) {
      const same = q.byTime.get(row.jail, row.address, row.bannedAt);
      const decision = decideImport(row, same && { liftedAt: same.lifted_at }, q.active.get(row.jail, row.address) !== undefined);
      if (decision === 'lift' && same) q.lift.run(row.liftedAt ?? 0, row.liftReason ?? 'imported', same.id);
      if (decision === 'add') q.insert.run({ ...row });
      count.add(decision);
    }
    return count.result();
  });

  return {
    async *exportBans() {
      let after = 0;
      for (;;) {
        const rows = q.page.all(after, PAGE);
        if (rows.length === 0) return;
        after = rows[rows.length - 1]?.id ?? after;
        yield* readBans(rows);
      }
    },

    async importBans(rows) {
      // One fsync for the whole batch, as for a ban decision: the caller reports the rows as imported.
      db.pragma(sql.SYNC_FULL);
      try {
        return importTx.immediate(rows);
      } finally {
        db.pragma(sql.SYNC_NORMAL);
      }
    },
  };
}
