// Store: time to record `bans` bans one after another through the Store interface, each durable before the
// next: `addBan` awaited, then `durable()` where the store has it (SQLite: the WAL flush the daemon awaits
// before it marks the ban's lines read). SQLite in a fresh file; MySQL when a
// server answers on 127.0.0.1:3306 as root without a password, in tables of its own (prefix bench_PID_ in
// database "test") that are dropped afterwards.
import { mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { distinctAddress } from './corpus.mjs';
import { median } from './measure.mjs';

const dist = (root, p) => import(join(root, 'dist', p));

async function timeBans(store, bans) {
  const now = Date.now();
  const started = process.hrtime.bigint();
  for (let i = 0; i < bans; i++) {
    await store.addBan({ address: distinctAddress(i), jail: 'sshd', bannedAt: now + i, until: now + 3_600_000, count: 1, reason: 'bench' });
    await store.durable?.();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, perBanMs: (seconds * 1000) / bans, bansPerS: bans / seconds };
}

/** The run of median time, with every run's seconds. */
function medianRun(list, bans) {
  const seconds = median(list.map((r) => r.seconds));
  return { seconds, perBanMs: (seconds * 1000) / bans, bansPerS: bans / seconds, runs: list.map((r) => r.seconds) };
}

const reachable = (port) => new Promise((resolve) => {
  const s = connect({ host: '127.0.0.1', port });
  s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  s.on('connect', () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

export async function storeBench({ root, work, bans, runs, log }) {
  const n = Math.max(1, runs ?? 1);
  const { openStore } = await dist(root, 'stores/index.js');
  const rows = [];
  const dir = join(work, 'store');
  mkdirSync(dir, { recursive: true });
  log(`store: ${bans.toLocaleString('en')} bans into SQLite`);
  const sqliteRuns = [];
  for (let i = 0; i < n; i++) {
    // A fresh file each run.
    const sqlite = await openStore({ type: 'sqlite', path: join(dir, `bench${i}.db`), retentionMs: 30 * 86_400_000 }, { queue: false });
    if (!sqlite.ok) throw new Error(sqlite.error);
    try { sqliteRuns.push(await timeBans(sqlite.value, bans)); } finally { await sqlite.value.close(); }
  }
  rmSync(dir, { recursive: true, force: true });
  rows.push({ name: 'sqlite', ...medianRun(sqliteRuns, bans) });

  if (!(await reachable(3306))) {
    rows.push({ name: 'mysql', skipped: 'no server on 127.0.0.1:3306' });
    return rows;
  }
  const prefix = `bench_${process.pid}_`;
  const config = { type: 'mysql', host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test', tablePrefix: prefix, retentionMs: 30 * 86_400_000 };
  const mysql = await import('mysql2/promise');
  const admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '' }).catch((e) => e);
  if (admin instanceof Error) { rows.push({ name: 'mysql', skipped: `cannot connect as root: ${admin.message}` }); return rows; }
  try {
    await admin.query('CREATE DATABASE IF NOT EXISTS test');
    log(`store: ${bans.toLocaleString('en')} bans into MySQL (tables ${prefix}*)`);
    const mysqlRuns = [];
    for (let i = 0; i < n; i++) {
      // Fresh tables each run.
      const opened = await openStore({ ...config, tablePrefix: `${prefix}${i}_` }, { queue: false });
      if (!opened.ok) { rows.push({ name: 'mysql', skipped: opened.error }); return rows; }
      try { mysqlRuns.push(await timeBans(opened.value, bans)); } finally { await opened.value.close(); }
    }
    rows.push({ name: 'mysql', ...medianRun(mysqlRuns, bans) });
  } finally {
    const [tables] = await admin.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE ?',
      ['test', `${prefix.replace(/_/g, '\\_')}%`]);
    await admin.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const { t } of tables) await admin.query(`DROP TABLE IF EXISTS test.\`${t}\``);
    await admin.end();
  }
  return rows;
}
