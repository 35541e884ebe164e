// Store: time to record `bans` bans one after another through the Store interface, each durable before the
// next: `addBan` awaited, then `durable()` where the store has it (SQLite: the WAL flush the daemon awaits
// before it marks the ban's lines read). SQLite in a fresh file; MySQL when a
// server answers on 127.0.0.1:3306 as root without a password, in tables of its own (prefix bench_PID_ in
// database "test") that are dropped afterwards.
import { mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { distinctAddress } from './corpus.mjs';

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

const reachable = (port) => new Promise((resolve) => {
  const s = connect({ host: '127.0.0.1', port });
  s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  s.on('connect', () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

export async function storeBench({ root, work, bans, log }) {
  const { openStore } = await dist(root, 'stores/index.js');
  const rows = [];
  const dir = join(work, 'store');
  mkdirSync(dir, { recursive: true });
  log(`store: ${bans.toLocaleString('en')} bans into SQLite`);
  const sqlite = await openStore({ type: 'sqlite', path: join(dir, 'bench.db'), retentionMs: 30 * 86_400_000 }, { queue: false });
  if (!sqlite.ok) throw new Error(sqlite.error);
  try { rows.push({ name: 'sqlite', ...(await timeBans(sqlite.value, bans)) }); } finally { await sqlite.value.close(); rmSync(dir, { recursive: true, force: true }); }

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
    const opened = await openStore(config, { queue: false });
    if (!opened.ok) { rows.push({ name: 'mysql', skipped: opened.error }); return rows; }
    try { rows.push({ name: 'mysql', ...(await timeBans(opened.value, bans)) }); } finally { await opened.value.close(); }
  } finally {
    const [tables] = await admin.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? AND table_name LIKE ?',
      ['test', `${prefix.replace(/_/g, '\\_')}%`]);
    await admin.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const { t } of tables) await admin.query(`DROP TABLE IF EXISTS test.\`${t}\``);
    await admin.end();
  }
  return rows;
}
