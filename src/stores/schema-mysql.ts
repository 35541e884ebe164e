/**
 * The SQL of the MySQL/MariaDB store, as functions of the table prefix (`table_prefix`, checked to be
 * `[A-Za-z0-9_]` by the store before it reaches here, so splicing it into SQL is safe). Every value travels as
 * a bound parameter; the prefix is the only thing spliced, because identifiers cannot be bound.
 *
 * Column choices:
 * - `address VARCHAR(45) ascii`: the longest text form of an IPv6 address (with an embedded IPv4) is 45
 *   characters; canonical addresses are ASCII, which keeps the indexes small.
 * - `until NULL` is a permanent ban. The old Python tool stored "permanent" as a far-future integer in a
 *   32-bit column, which wrapped; here NULL means permanent and BIGINT holds milliseconds.
 * - MySQL has no partial unique index, so "one active ban per jail and address" is a unique key over a
 *   generated column that is 1 while the ban is active and NULL once lifted (NULLs never collide).
 * - Hits carry a generated hash of their line, unique with address, jail and time: a write replayed after an
 *   outage (see `queueing.ts`) cannot store the same hit twice.
 */

/** Identifiers spliced into SQL: a prefix must match this, and stay short enough for the index names. */
export const SAFE_PREFIX = /^[A-Za-z0-9_]{0,32}$/;

/**
 * Migration n (1-based) is `migrations(p)[n - 1]`, a list of statements run in order. Append only. MySQL
 * commits DDL implicitly, so a migration cannot be a transaction: each statement is written to be safe to run
 * again (`IF NOT EXISTS`) in case a daemon died half-way through one; the version row is written after each.
 */
export const migrations = (p: string): readonly (readonly string[])[] => [
  [
    `CREATE TABLE IF NOT EXISTS \`${p}bans\` (
      id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      address     VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      jail        VARCHAR(128) NOT NULL,
      banned_at   BIGINT NOT NULL,
      \`until\`   BIGINT NULL,
      \`count\`   INT UNSIGNED NOT NULL,
      reason      TEXT NOT NULL,
      origin      VARCHAR(255) NOT NULL,
      lifted_at   BIGINT NULL,
      lift_reason TEXT NULL,
      active      TINYINT AS (IF(lifted_at IS NULL, 1, NULL)) STORED,
      UNIQUE KEY one_active (jail, address, active),
      KEY jail_address_time (jail, address, banned_at),
      KEY address_time (address, banned_at),
      KEY lifted (lifted_at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    `CREATE TABLE IF NOT EXISTS \`${p}hits\` (
      id        BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      address   VARCHAR(45) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
      jail      VARCHAR(128) NOT NULL,
      at        BIGINT NOT NULL,
      line      TEXT NOT NULL,
      rule      INT NULL,
      line_hash BINARY(16) AS (UNHEX(MD5(line))) STORED,
      UNIQUE KEY same_hit (address, jail, at, line_hash),
      KEY at (at)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
    `CREATE TABLE IF NOT EXISTS \`${p}positions\` (
      pkey       VARCHAR(512) NOT NULL PRIMARY KEY,
      value      TEXT NOT NULL,
      updated_at BIGINT NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  ],
];

export const VERSION_DDL = (p: string): string => `CREATE TABLE IF NOT EXISTS \`${p}schema_version\` (
  id      TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  version INT UNSIGNED NOT NULL
) ENGINE=InnoDB`;
export const GET_VERSION = (p: string): string => `SELECT version FROM \`${p}schema_version\` WHERE id = 1`;
export const SET_VERSION = (p: string): string =>
  `INSERT INTO \`${p}schema_version\` (id, version) VALUES (1, ?) ON DUPLICATE KEY UPDATE version = VALUES(version)`;

/** The tables a prefix owns, for `stats` and for tests that drop them. */
export const TABLES = (p: string): readonly string[] => [`${p}bans`, `${p}hits`, `${p}positions`, `${p}schema_version`];

export const BAN_COLUMNS = 'id, address, jail, banned_at, `until`, `count`, reason, origin, lifted_at, lift_reason';

export const sqlFor = (p: string) => {
  const bans = `\`${p}bans\``, hits = `\`${p}hits\``, positions = `\`${p}positions\``;
  return {
    insertBan: `INSERT INTO ${bans} (address, jail, banned_at, \`until\`, \`count\`, reason, origin, lifted_at, lift_reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    /**
     * `active = 1` rather than `lifted_at IS NULL`: it matches the unique key `one_active` in full, so the
     * server looks up (and, FOR UPDATE, locks) one row. With `IS NULL` it may choose the `lifted` index and
     * lock every active ban it scans, which deadlocked parallel writers in the bench.
     */
    activeBan: `SELECT ${BAN_COLUMNS} FROM ${bans} WHERE jail = ? AND address = ? AND active = 1`,
    activeBanForUpdate: `SELECT ${BAN_COLUMNS} FROM ${bans} WHERE jail = ? AND address = ? AND active = 1 FOR UPDATE`,
    banAtForUpdate: `SELECT ${BAN_COLUMNS} FROM ${bans} WHERE jail = ? AND address = ? AND banned_at = ? ORDER BY id LIMIT 1 FOR UPDATE`,
    liftBan: `UPDATE ${bans} SET lifted_at = ?, lift_reason = ? WHERE id = ?`,
    activeBans: `SELECT ${BAN_COLUMNS} FROM ${bans} WHERE lifted_at IS NULL ORDER BY id`,
    countInJail: `SELECT COUNT(*) AS n FROM ${bans} WHERE address = ? AND jail = ? AND banned_at >= ?`,
    countAllJails: `SELECT COUNT(*) AS n FROM ${bans} WHERE address = ? AND banned_at >= ?`,
    history: `SELECT ${BAN_COLUMNS} FROM ${bans} WHERE address = ? ORDER BY banned_at DESC, id DESC LIMIT ?`,
    bansAfter: `SELECT ${BAN_COLUMNS} FROM ${bans} WHERE id > ? ORDER BY id LIMIT ?`,
    /** `n` rows of hits; `ON DUPLICATE KEY` makes a replayed hit a no-op (see the `same_hit` key). */
    insertHits: (n: number): string => `INSERT INTO ${hits} (address, jail, at, line, rule) VALUES ${
      Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ')} ON DUPLICATE KEY UPDATE id = id`,
    /**
     * Keeps the newest `?` hits of one address and jail. The inner LIMIT sits in a derived table because
     * MySQL allows neither LIMIT in an IN subquery nor reading the table a DELETE writes, except through one.
     */
    trimHits: `DELETE FROM ${hits} WHERE address = ? AND jail = ? AND id NOT IN (
      SELECT id FROM (SELECT id FROM ${hits} WHERE address = ? AND jail = ? ORDER BY at DESC, id DESC LIMIT ?) AS keep)`,
    recentHits: `SELECT address, jail, at, line, rule FROM ${hits} WHERE address = ? ORDER BY at DESC, id DESC LIMIT ?`,
    /** Pruning deletes in slices so that a large prune never holds its locks for long. */
    pruneBans: `DELETE FROM ${bans} WHERE lifted_at < ? LIMIT 5000`,
    pruneHits: `DELETE FROM ${hits} WHERE at < ? LIMIT 5000`,
    getPosition: `SELECT value FROM ${positions} WHERE pkey = ?`,
    setPosition: `INSERT INTO ${positions} (pkey, value, updated_at) VALUES (?, ?, ?)
      ON DUPLICATE KEY UPDATE value = VALUES(value), updated_at = VALUES(updated_at)`,
    stats: `SELECT
      (SELECT COUNT(*) FROM ${bans} WHERE lifted_at IS NULL) AS active,
      (SELECT COUNT(*) FROM ${bans}) AS history,
      (SELECT COUNT(*) FROM ${hits}) AS hits`,
    bytes: `SELECT COALESCE(SUM(data_length + index_length), 0) AS bytes FROM information_schema.TABLES
      WHERE table_schema = DATABASE() AND table_name IN (?, ?, ?, ?)`,
  };
};

export type MysqlSql = ReturnType<typeof sqlFor>;
