import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recorder, sshdFailure, startDaemon, until } from '../../test/daemon.js';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { openStore, recoverStore } from './index.js';
import { createSqliteStore } from './sqlite.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 25, 17, 11, 0);

const address = (n: number): Address => parseAddress(`10.0.${n >> 8}.${n & 255}`) ?? (() => { throw new Error('bad address'); })();

describe('damaged store files', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dictdefence-recover-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  const messages: string[] = [];
  const log: Logger = { level: 'warn', debug() {}, info() {}, warn: (m) => { messages.push(m); }, error: (m) => { messages.push(m); } };

  /** A real database of 2,000 bans whose pages past the first few are then overwritten with garbage. */
  const damagedSqlite = async (file: string): Promise<void> => {
    const store = createSqliteStore({ path: file });
    for (let n = 0; n < 2000; n++) await store.addBan({ address: address(n), jail: 'sshd', bannedAt: T0, until: null, count: 1, reason: 'x'.repeat(100) });
    await store.close();
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(16 * 4096, 0x5a), 0, 16 * 4096, 4 * 4096);
    fs.closeSync(fd);
  };

  it('names a SQLite file with damaged pages at open and says how to recover', async () => {
    const file = path.join(tempDir(), 'state.db');
    await damagedSqlite(file);
    const opened = await openStore({ type: 'sqlite', path: file, retentionMs: HOUR });
    expect(opened.ok).toBe(false);
    const error = opened.ok ? '' : opened.error;
    expect(error).toMatch(/^Cannot open SQLite store "[^"]+": the file is damaged \(.*\) \(start with "dictdefence run --recover"/);
    expect(error).toContain(file);
    expect(error).not.toContain('\n');
  });

  it('moves a damaged SQLite file and its WAL aside with --recover and starts an empty store in its place', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.db');
    fs.writeFileSync(file, 'not a database at all\n'.repeat(200));
    fs.writeFileSync(`${file}-wal`, 'a WAL that belongs to the damaged file');
    const r = await recoverStore({ type: 'sqlite', path: file, retentionMs: HOUR }, { log, clock: new ManualClock(T0) });
    expect(r).toEqual({ ok: true, value: undefined });
    const files = fs.readdirSync(dir);
    expect(files).toContain('state.db.corrupt-20261125T171100Z');
    expect(fs.readFileSync(path.join(dir, 'state.db.corrupt-20261125T171100Z-wal'), 'utf8')).toBe('a WAL that belongs to the damaged file');
    expect(files.filter((f) => !f.includes('corrupt'))).toEqual(['state.db']);
    expect(messages.some((m) => m.includes('Moved the damaged store') && m.includes('Bans already in the firewall stay there'))).toBe(true);
    const store = createSqliteStore({ path: file });
    expect(await store.activeBans()).toEqual([]);
    await store.close();
  });

  it('moves a file store that is not a journal aside with --recover, but leaves a healthy store alone', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.journal');
    fs.writeFileSync(file, '{"some":"other json"}\n');
    expect((await recoverStore({ type: 'file', path: file, retentionMs: HOUR }, { log, clock: new ManualClock(T0) })).ok).toBe(true);
    expect(fs.existsSync(`${file}.corrupt-20261125T171100Z`)).toBe(true);
    const before = fs.readdirSync(dir).sort();
    expect((await recoverStore({ type: 'file', path: file, retentionMs: HOUR }, { log })).ok).toBe(true);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });

  it('leaves a store alone that fails for another reason than damage, such as its lock', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'state.journal');
    const holder = await openStore({ type: 'file', path: file, retentionMs: HOUR });
    const r = await recoverStore({ type: 'file', path: file, retentionMs: HOUR }, { log });
    expect(r.ok ? '' : r.error).toContain('in use by process');
    expect(fs.readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
    if (holder.ok) await holder.value.close();
  });

  it('refuses to run on a damaged store, then runs with --recover and bans again', async () => {
    const dir = tempDir();
    const rec = recorder({ path: dir, file: (n) => path.join(dir, n), cleanup() {} });
    const file = path.join(dir, 'state.db');
    fs.writeFileSync(file, 'not a database at all\n'.repeat(200));
    const config = path.join(dir, 'dd.yaml');
    fs.writeFileSync(config, [
      `state_dir: ${dir}/state`, `pidfile: ${dir}/dd.pid`, `control: { socket: ${dir}/control.sock }`, `store: { type: sqlite, path: ${file} }`,
      'actions:', `  record: { type: command, ban: [${rec.script}, ban, "{address}"], unban: [${rec.script}, unban, "{address}"] }`,
      'jails:', '  sshd:', `    sources: [{ type: file, path: ${dir}/auth.log }]`, '    filter: sshd', '    actions: [record]',
    ].join('\n'));
    const refused = startDaemon(['run', '-c', config]);
    expect(await until(() => refused.child.exitCode !== null, 15_000), refused.output()).toBe(true);
    expect(refused.child.exitCode).toBe(1);
    expect(refused.output()).toContain(`Cannot open SQLite store "${file}": file is not a database (start with "dictdefence run --recover"`);

    const recovered = startDaemon(['run', '-c', config, '--recover']);
    try {
      expect(await until(() => recovered.output().includes('Started with'), 15_000), recovered.output()).toBe(true);
      expect(recovered.output()).toContain(`Moved the damaged store "${file}" aside to "${file}.corrupt-`);
      expect(fs.readdirSync(dir).some((f) => f.startsWith('state.db.corrupt-'))).toBe(true);
      for (let i = 0; i < 5; i++) fs.appendFileSync(path.join(dir, 'auth.log'), sshdFailure('203.0.113.9'));
      expect(await until(() => rec.lines().includes('ban 203.0.113.9')), recovered.output()).toBe(true);
    } finally {
      await recovered.stop();
    }
  }, 60_000);
});
