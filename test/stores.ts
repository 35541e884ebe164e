/**
 * Helpers for store tests that need MariaDB: the machine's shared server (for fresh, throw-away databases)
 * and private servers a test starts, stops and restarts itself (never the shared one).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, createPool, type Connection, type Pool } from 'mysql2/promise';

export const SHARED_MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' } as const;

/** Why the shared MariaDB cannot be used, or undefined when it can. */
export async function mariadbUnavailable(port: number = SHARED_MARIADB.port): Promise<string | undefined> {
  try {
    const c = await createConnection({ ...SHARED_MARIADB, port, connectTimeout: 3000 });
    await c.end();
    return undefined;
  } catch (e) {
    return `cannot connect as root to 127.0.0.1:${port}: ${(e as Error).message}`;
  }
}

export interface TestDatabase {
  readonly name: string;
  /** Runs SQL as root in this database, with bound parameters. */
  query(sql: string, params?: readonly (string | number | null)[]): Promise<unknown>;
  drop(): Promise<void>;
}

/**
 * A new database with a unique name on the server at `port`; `drop` removes it. Queries go through a pool,
 * which reconnects on its own after a test restarted the server.
 */
export async function createTestDatabase(port: number = SHARED_MARIADB.port): Promise<TestDatabase> {
  const name = `dd_test_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  const setup: Connection = await createConnection({ ...SHARED_MARIADB, port });
  await setup.query(`CREATE DATABASE \`${name}\``);
  await setup.end();
  const pool: Pool = createPool({ ...SHARED_MARIADB, port, database: name, connectionLimit: 2 });
  return {
    name,
    async query(sql, params = []) { return (await pool.execute(sql, [...params]))[0]; },
    async drop() {
      await pool.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => {});
      await pool.end().catch(() => {});
    },
  };
}

/** A TCP port nobody listens on right now. */
export async function sparePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('Cannot find a spare port');
  return address.port;
}

export interface PrivateMariadb {
  readonly port: number;
  /** Starts the server (again) on the same data folder and port; resolves when it accepts root. */
  start(): Promise<void>;
  /** Kills the server with `signal` (SIGKILL: a crash) and waits until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it if running and deletes its data folder. */
  remove(): Promise<void>;
}

/**
 * A MariaDB of the test's own: `mariadb-install-db` into a temp folder, then `mariadbd` on a spare port,
 * socket and pid file inside that folder. `--no-defaults` keeps the machine's my.cnf (its datadir, port,
 * user and log settings) out of it. Root has no password, as on the shared server.
 */
export async function createPrivateMariadb(): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-mariadb-'));
  const data = join(dir, 'data');
  const install = spawnSync('mariadb-install-db', [
    '--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--user=root', '--skip-test-db', '--skip-name-resolve',
  ], { encoding: 'utf8', timeout: 120_000 });
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed: ${install.error?.message ?? ''}${install.stderr}${install.stdout}`.slice(0, 2000));
  }
  const port = await sparePort();
  let server: ChildProcess | undefined;

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s || s.exitCode !== null || s.signalCode !== null) return;
    const exited = once(s, 'exit');
    s.kill(signal);
    await exited;
  };

  return {
    port,
    async start() {
      if (server) return;
      server = spawn('/usr/sbin/mariadbd', [
        '--no-defaults', `--datadir=${data}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir, 'sock')}`,
        `--pid-file=${join(dir, 'pid')}`, '--user=root', '--skip-log-bin', '--innodb-buffer-pool-size=32M',
        `--log-error=${join(dir, 'error.log')}`,
      ], { stdio: 'ignore' });
      const end = Date.now() + 60_000;
      while (Date.now() < end) {
        if (await mariadbUnavailable(port) === undefined) return;
        if (server.exitCode !== null) throw new Error(`mariadbd exited with ${server.exitCode}; see ${join(dir, 'error.log')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`mariadbd did not accept connections on port ${port} within 60 s`);
    },
    kill,
    async remove() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
