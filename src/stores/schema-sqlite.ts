/**
 * The SQL of the SQLite store as plain strings, kept apart from the code that runs it so that a test can
 * write behind the store's back with the very same statements (see `sqlite.test.ts`).
 */

/**
 * Only takes effect on a file without tables, so it is harmless on every later open. Incremental rather than
 * full auto-vacuum: `prune` decides when freed pages go back to the file system, not every delete.
 */
export const FRESH_FILE_PRAGMAS: readonly string[] = ['auto_vacuum = INCREMENTAL'];

/**
 * Per-connection settings; every process that writes the file must use them. `busy_timeout` first, so that
 * switching to WAL already waits for another process holding the file rather than failing at once.
 */
export const CONNECTION_PRAGMAS: readonly string[] = [
  'busy_timeout = 5000',
  'journal_mode = WAL',
  'synchronous = NORMAL',
];

/**
 * An import commits with `synchronous = FULL` (one fsync of the WAL for the batch); everything else with
 * `NORMAL`, a ban then flushed by `durable()`. See the durability note in `sqlite.ts`. A pragma acts when it is compiled, so it cannot be a prepared
 * statement that is run again: each switch is executed afresh.
 */
export const SYNC_FULL = 'synchronous = FULL';
export const SYNC_NORMAL = 'synchronous = NORMAL';

export const META_DDL = 'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)';
export const GET_SCHEMA_VERSION = "SELECT value FROM meta WHERE key = 'schema_version'";
/** The deferred checkpoints' own commit (deferred-checkpoint.ts): how many this connection has made. */
export const COUNT_CHECKPOINT =
  "INSERT INTO meta (key, value) VALUES ('checkpoints', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
export const SET_SCHEMA_VERSION =
  "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/**
 * Migration n (1-based) is `MIGRATIONS[n - 1]`. Append only: a released migration never changes, because a
 * file that already ran it will not run it again.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE bans (
    id          INTEGER PRIMARY KEY,
    address     TEXT    NOT NULL,
    jail        TEXT    NOT NULL,
    banned_at   INTEGER NOT NULL,
    until       INTEGER,            -- NULL: permanent
    count       INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    lifted_at   INTEGER,            -- NULL: active
    lift_reason TEXT
  );
  CREATE INDEX bans_jail_address ON bans (jail, address, lifted_at);
  -- The database, not the code, guarantees one active ban per jail and address, even across processes.
  CREATE UNIQUE INDEX bans_one_active ON bans (jail, address) WHERE lifted_at IS NULL;
  -- banCount over all jails and banHistory, both by address and time.
  CREATE INDEX bans_address_time ON bans (address, banned_at);
  CREATE INDEX bans_lifted ON bans (lifted_at) WHERE lifted_at IS NOT NULL;

  CREATE TABLE hits (
    id      INTEGER PRIMARY KEY,
    address TEXT    NOT NULL,
    jail    TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    line    TEXT    NOT NULL,
    rule    INTEGER
  );
  CREATE INDEX hits_address_jail_at ON hits (address, jail, at);
  CREATE INDEX hits_at ON hits (at);

  CREATE TABLE positions (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,   -- JSON object
    updated_at INTEGER NOT NULL
  );
  `,
];

export const INSERT_BAN = `INSERT INTO bans (address, jail, banned_at, until, count, reason, origin)
  VALUES (@address, @jail, @bannedAt, @until, @count, @reason, @origin)`;

export const SELECT_BAN_BY_ID = 'SELECT * FROM bans WHERE id = ?';
/** The identity of a ban across stores (ids are store-local): what `store import` matches on. */
export const SELECT_BAN_BY_TIME =
  'SELECT * FROM bans WHERE jail = ? AND address = ? AND banned_at = ? ORDER BY id LIMIT 1';
export const SELECT_BANS_AFTER = 'SELECT * FROM bans WHERE id > ? ORDER BY id LIMIT ?';
export const INSERT_BAN_ROW = `INSERT INTO bans (address, jail, banned_at, until, count, reason, origin, lifted_at, lift_reason)
  VALUES (@address, @jail, @bannedAt, @until, @count, @reason, @origin, @liftedAt, @liftReason)`;
export const SELECT_ACTIVE_BAN = 'SELECT * FROM bans WHERE jail = ? AND address = ? AND lifted_at IS NULL';
export const LIFT_BAN = 'UPDATE bans SET lifted_at = ?, lift_reason = ? WHERE id = ?';
/**
 * The active bans, read as one packed text column plus the free-text ones: at every start the daemon reads
 * them all (100,000 in the benchmark), and better-sqlite3 makes a JS value per column per row. Ten columns
 * a row: 175–310 ms to read 100,000 rows and 110–200 ms to make bans of them; this form 145–155 ms and 70–110 ms
 * (sqlite-active.ts), on the same machine in the same hour. Read a page at a time as one text
 * (SELECT_ACTIVE_BAN_PAGE), fewer values still.
 *
 * The packed column holds id, banned_at, until ('' for a permanent ban), count, jail and address, separated
 * by tabs; the address is last and no valid address holds a tab, so a row that does not split into exactly
 * these six fields, or whose numbers are not integers, is a damaged row, not a misread one.
 */
const PACKED_BAN = "id || char(9) || banned_at || char(9) || ifnull(until, '') || char(9) || count || char(9) || jail || char(9) || address";

/** Active bans per page: SELECT_ACTIVE_BAN_PAGE's rows, and SELECT_ACTIVE_BANS's for a page read row by row. */
export const ACTIVE_PAGE = 1024;

/** The active bans with an id above the one given, one page of them in order, a row each. */
export const SELECT_ACTIVE_BANS =
  `SELECT ${PACKED_BAN}, reason, origin FROM bans WHERE lifted_at IS NULL AND id > ? ORDER BY id LIMIT ${ACTIVE_PAGE}`;

/**
 * The same page as one text: its rows' packed columns, each followed by a tab, the origin, a tab and the
 * reason, joined by newlines; with the page's highest id, its row count, and how many of its rows are
 * irregular: a time or count that is not an integer, or a tab in a jail, address or origin. Where none is and
 * no field holds a newline (the text has as many lines as the page has rows), the first seven tabs of a line
 * end its fields and the reason is the rest: a page is then one value to read where it was 3,072. Otherwise
 * (a damaged row) the page is read row by row (SELECT_ACTIVE_BANS), as before.
 * The 100,000 active bans of the benchmark: 469–548 → 392–538 ms to read and unpack (medians 510 → 466; the
 * damage test costs ~50 ms of that, and is worth it in the inner query: in the outer one, over seven more
 * columns, the query took 207–224 ms instead of 125–193).
 */
export const SELECT_ACTIVE_BAN_PAGE =
  'SELECT max(id), count(*), group_concat(p, char(10)), sum(irregular) ' +
  `FROM (SELECT id, ${PACKED_BAN} || char(9) || origin || char(9) || reason AS p, ` +
  "(typeof(banned_at) != 'integer' OR typeof(count) != 'integer' OR (until IS NOT NULL AND typeof(until) != 'integer') " +
  'OR instr(jail, char(9)) > 0 OR instr(address, char(9)) > 0 OR instr(origin, char(9)) > 0) AS irregular ' +
  `FROM bans WHERE lifted_at IS NULL AND id > ? ORDER BY id LIMIT ${ACTIVE_PAGE})`;

export const COUNT_BANS_IN_JAIL =
  'SELECT count(*) AS n FROM bans WHERE address = ? AND jail = ? AND banned_at >= ?';
export const COUNT_BANS_ALL_JAILS = 'SELECT count(*) AS n FROM bans WHERE address = ? AND banned_at >= ?';
export const SELECT_BAN_HISTORY =
  'SELECT * FROM bans WHERE address = ? ORDER BY banned_at DESC, id DESC LIMIT ?';

export const INSERT_HIT = 'INSERT INTO hits (address, jail, at, line, rule) VALUES (?, ?, ?, ?, ?)';
/** Deletes all but the newest `?` hits of one address and jail (`LIMIT -1` means no limit in SQLite). */
export const TRIM_HITS = `DELETE FROM hits WHERE id IN (
  SELECT id FROM hits WHERE address = ? AND jail = ? ORDER BY at DESC, id DESC LIMIT -1 OFFSET ?)`;
export const SELECT_RECENT_HITS =
  'SELECT address, jail, at, line, rule FROM hits WHERE address = ? ORDER BY at DESC, id DESC LIMIT ?';

export const PRUNE_BANS = 'DELETE FROM bans WHERE lifted_at IS NOT NULL AND lifted_at < ?';
export const PRUNE_HITS = 'DELETE FROM hits WHERE at < ?';

export const GET_POSITION = 'SELECT value FROM positions WHERE key = ?';
export const SET_POSITION = `INSERT INTO positions (key, value, updated_at) VALUES (?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;

export const STATS = `SELECT
  (SELECT count(*) FROM bans WHERE lifted_at IS NULL) AS active,
  (SELECT count(*) FROM bans) AS history,
  (SELECT count(*) FROM hits) AS hits`;
