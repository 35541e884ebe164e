import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

/** The slice of mysql2 the MySQL store uses: prepared statements with bound parameters, nothing else. */
export type Param = string | number | null;
export type Queryable = Pick<Pool, 'execute'> | PoolConnection;

/** The columns of a bans row as the driver returns them (BIGINT as number: milliseconds fit in 2^53). */
export interface BanRow {
  id: number; address: string; jail: string; banned_at: number; until: number | null; count: number;
  reason: string; origin: string; lifted_at: number | null; lift_reason: string | null;
}

export async function select<T>(db: Queryable, sql: string, params: readonly Param[]): Promise<T[]> {
  const [rows] = await db.execute<RowDataPacket[]>(sql, [...params]);
  // The columns are the ones schema-mysql.ts selects; the driver only cannot know their types.
  return rows as unknown as T[];
}

export async function change(db: Queryable, sql: string, params: readonly Param[]): Promise<ResultSetHeader> {
  const [result] = await db.execute<ResultSetHeader>(sql, [...params]);
  return result;
}
