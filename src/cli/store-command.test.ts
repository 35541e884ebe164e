import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import { createTestDatabase, mariadbUnavailable, type TestDatabase } from '../../test/stores.js';
import { parseAddress, type Address } from '../core/address.js';
import { openFileStore } from '../stores/file.js';
import { createSqliteStore } from '../stores/sqlite.js';
import type { Io } from './args.js';
import { storeCommand } from './store-command.js';

const HOUR = 3_600_000;
// Recent: opening a store prunes lifted bans older than its retention (30 days by default).
const T0 = Date.now() - 10 * HOUR;

const why = await mariadbUnavailable();
const noMysql = why !== undefined && missing('MariaDB at 127.0.0.1:3306', why);
let database: Promise<TestDatabase> | undefined;
afterAll(async () => { if (database) await (await database).drop(); });

const address = (text: string): Address => parseAddress(text) ?? (() => { throw new Error(`Bad test address ${text}`); })();

/** Runs `dictdefence store …` in-process and captures what it prints. */
async function cli(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, stdin: Readable.from([stdin]) };
  const code = await storeCommand(argv, io);
  return { code, out, err };
}

/** The ban lines of an export, without its header (which names the source store and the time). */
const banLines = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('{"kind":"ban"'));

describe('dictdefence store export and import', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  /** A config file whose store is `storeYaml`; the jail is only there because a config needs one. */
  const config = (storeYaml: string): { file: string; dir: string } => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dictdefence-store-cli-'));
    dirs.push(dir);
    const file = path.join(dir, 'dd.yaml');
    fs.writeFileSync(file, [
      `state_dir: ${dir}/state`, `store: ${storeYaml}`, 'actions:', '  record: { type: noban }',
      'jails:', '  sshd:', `    sources: [{ type: file, path: ${dir}/auth.log }]`, '    filter: sshd', '    actions: [record]',
    ].join('\n'));
    return { file, dir };
  };

  const seedSqlite = async (file: string): Promise<void> => {
    const store = createSqliteStore({ path: file }, { hostname: 'old-host' });
    const ban = (a: string, jail: string, bannedAt: number, until: number | null, count = 1) =>
      ({ address: address(a), jail, bannedAt, until, count, reason: `${jail}: 5 failures in 10m` });
    await store.addBan(ban('192.0.2.1', 'sshd', T0, T0 + HOUR));
    await store.liftBan('sshd', address('192.0.2.1'), T0 + HOUR, 'expired');
    await store.addBan(ban('192.0.2.1', 'sshd', T0 + 2 * HOUR, T0 + 4 * HOUR, 2));
    await store.addBan(ban('2001:db8::7', 'sshd', T0, null, 5));
    await store.addBan(ban('198.51.100.23', 'postfix', T0 + 5, T0 + HOUR), 'fleet-3');
    await store.close();
  };

  it.skipIf(noMysql)('moves every ban from SQLite to MySQL to the file store and back to SQLite unchanged', async () => {
    const db = await (database ??= createTestDatabase());
    const sqliteA = config('{ type: sqlite, path: a.db }');
    await seedSqlite(path.join(sqliteA.dir, 'a.db'));
    const mysql = config(`{ type: mysql, host: 127.0.0.1, port: 3306, user: root, password: '', database: ${db.name}, table_prefix: rt_ }`);
    const file = config('{ type: file, path: state.journal }');
    const sqliteB = config('{ type: sqlite, path: b.db }');

    const first = await cli(['export', '-c', sqliteA.file]);
    expect(first.code, first.err).toBe(0);
    expect(banLines(first.out)).toHaveLength(4);
    expect(first.out.split('\n')[0]).toContain('"kind":"dictdefence-export"');

    let text = first.out;
    for (const target of [mysql, file, sqliteB]) {
      const input = path.join(target.dir, 'bans.jsonl');
      fs.writeFileSync(input, text);
      const imported = await cli(['import', '-c', target.file, input]);
      expect(imported.code, imported.err).toBe(0);
      expect(imported.out).toContain('4 added, 0 lifted, 0 already present');
      const exported = await cli(['export', '-c', target.file]);
      expect(exported.code, exported.err).toBe(0);
      expect(banLines(exported.out)).toEqual(banLines(first.out));
      text = exported.out;
    }
    const again = await cli(['import', '-c', sqliteB.file, '-'], first.out);
    expect(again.out).toContain('0 added, 0 lifted, 4 already present');
  });

  it('reports an unreadable line with its number, imports the others and exits 1', async () => {
    const source = config('{ type: sqlite, path: a.db }');
    await seedSqlite(path.join(source.dir, 'a.db'));
    const lines = (await cli(['export', '-c', source.file])).out.split('\n');
    lines.splice(2, 0, '{"kind":"ban","address":"010.0.0.1","jail":"sshd"}');
    const target = config('{ type: file, path: state.journal }');
    const r = await cli(['import', '-c', target.file, '-'], lines.join('\n'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('standard input:3: skipped: invalid address "010.0.0.1"');
    expect(r.out).toContain('4 added, 0 lifted, 0 already present, 1 unreadable lines skipped');
  });

  it('refuses to import a file that is not a DictDefence export, importing nothing', async () => {
    const target = config('{ type: sqlite, path: b.db }');
    const r = await cli(['import', '-c', target.file, '-'], '{"address":"192.0.2.1"}\n');
    expect(r.code).toBe(1);
    expect(r.err).toContain('line 1 is not the header of a DictDefence export');
    expect(banLines((await cli(['export', '-c', target.file])).out)).toEqual([]);
  });

  it('exports a file store that a running daemon holds, without waiting for its lock', async () => {
    const c = config('{ type: file, path: state.journal }');
    const daemon = await openFileStore({ path: path.join(c.dir, 'state.journal') });
    await daemon.addBan({ address: address('203.0.113.51'), jail: 'sshd', bannedAt: T0, until: null, count: 1, reason: 'x' });
    const r = await cli(['export', '-c', c.file]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('"address":"203.0.113.51"');
    const refused = await cli(['import', '-c', c.file, '-'], r.out);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`in use by process ${process.pid}`);
    await daemon.close();
  });

  it('answers a usage error with exit code 2 and the help', async () => {
    for (const argv of [[], ['backup'], ['import'], ['export', 'extra']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toContain('Usage: dictdefence store export');
    }
  });
});
