// Measures the stores' growth, for docs/stores.md. Runs against the built code (npm run build first):
//
//   node --expose-gc bench/store-size.mjs [--records 100000] [--distinct 1000000] [--backends sqlite,file,mysql]
//
// 1. Size per ban record: `--records` bans of distinct addresses, each with the `--hits` (5) hits that led
//    to it (a sshd line of ~90 bytes), half of them lifted; bytes on disk per 100,000.
// 2. Bounded growth: `--distinct` addresses, each banned once, spread evenly over 60 simulated days with
//    `retention: 30d` and the daemon's hourly prune; the largest size and row count seen, and the size at
//    the end. Memory (RSS and V8 heap) is printed after each phase: the file store keeps its rows in memory.
//
// MySQL uses the server at 127.0.0.1:3306 as root (DD_BENCH_MYSQL_PORT to change the port) in a database
// made for the run and dropped after it. Sizes come from information_schema after ANALYZE TABLE (InnoDB
// allocates in pages and extents, so small tables look larger per row than large ones).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createConnection } from 'mysql2/promise';

const { values } = parseArgs({ options: {
  records: { type: 'string', default: '100000' },
  hits: { type: 'string', default: '5' },
  distinct: { type: 'string', default: '1000000' },
  backends: { type: 'string', default: 'sqlite,file,mysql' },
} });
const RECORDS = Number(values.records), DISTINCT = Number(values.distinct), HITS = Number(values.hits);
const DAY = 86_400_000, HOUR = 3_600_000, T0 = 1_700_000_000_000;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { openStore } = await import(path.join(root, 'dist/stores/index.js'));

const addressOf = (n) => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
const mb = (bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
/** After a full GC when node runs with --expose-gc, so the heap figure is what the store keeps, not garbage. */
const memory = () => { globalThis.gc?.(); const m = process.memoryUsage(); return `rss ${mb(m.rss)}, heap ${mb(m.heapUsed)}`; };
const line = (a, k) => `Nov 25 17:11:0${k} web1 sshd[4242]: Failed password for root from ${a} port ${40000 + k} ssh2`;

async function backend(name) {
  if (name === 'sqlite' || name === 'file') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dd-bench-${name}-`));
    const file = path.join(dir, name === 'sqlite' ? 'state.db' : 'state.journal');
    return { config: { type: name, path: file, retentionMs: 30 * DAY }, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const port = Number(process.env.DD_BENCH_MYSQL_PORT ?? 3306);
  const database = `dd_bench_${process.pid}`;
  const admin = await createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
  await admin.query(`CREATE DATABASE \`${database}\``);
  return {
    config: { type: 'mysql', host: '127.0.0.1', port, user: 'root', password: '', database, tablePrefix: 'dd_', retentionMs: 30 * DAY },
    // InnoDB refreshes its size statistics lazily: ANALYZE first, so the numbers are today's.
    analyze: async () => { for (const t of ['dd_bans', 'dd_hits']) await admin.query(`ANALYZE TABLE \`${database}\`.\`${t}\``); },
    done: async () => { await admin.query(`DROP DATABASE \`${database}\``); await admin.end(); },
  };
}

async function open(config) {
  const r = await openStore(config, { queue: false, hostname: 'bench' });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

/** Runs `fn(i)` for i in [0, n) with `width` calls in flight (a pool of connections can take several). */
async function inParallel(n, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (next < n) await fn(next++); }));
}

async function sizeOf(store, b) {
  if (b.analyze) await b.analyze();
  return (await store.stats()).bytes ?? 0;
}

/** Opens a fresh store of `name`, runs `fn`, and always removes the data (a failed run leaves no database). */
async function withStore(name, fn) {
  const b = await backend(name);
  try {
    const store = await open(b.config);
    try { await fn(store, b); } finally { await store.close(); }
  } finally {
    await b.done();
  }
}

const perRecord = (name) => withStore(name, async (store, b) => {
  const started = Date.now();
  await inParallel(RECORDS, name === 'mysql' ? 8 : 1, async (n) => {
    const address = addressOf(n), at = T0 + n * 1000;
    await store.addHits(Array.from({ length: HITS }, (_, k) => ({ address, jail: 'sshd', at: at + k, line: line(address, k) })), 20);
    await store.addBan({ address, jail: 'sshd', bannedAt: at + 5, until: at + HOUR, count: 1, reason: 'sshd: 5 failures in 10m' });
    if (n % 2 === 0) await store.liftBan('sshd', address, at + HOUR, 'expired');
  });
  if (name === 'file') store.compact();
  const bytes = await sizeOf(store, b);
  console.log(`${name.padEnd(6)} ${RECORDS} bans + ${HITS * RECORDS} hits: ${mb(bytes)} = ${mb(bytes * 100_000 / RECORDS)} per 100k bans with ${HITS} hits each; ${((Date.now() - started) / 1000).toFixed(0)} s; ${memory()}`);
});

const bounded = (name) => withStore(name, async (store, b) => {
  const step = (60 * DAY) / DISTINCT;
  let peakBytes = 0, peakRows = 0, nextPrune = T0 + HOUR, lastAt = T0;
  const started = Date.now();
  const prune = async (at) => {
    await store.prune(at - 30 * DAY);
    const stats = await store.stats();
    peakRows = Math.max(peakRows, stats.historyRows);
    if (Math.floor(at / DAY) !== Math.floor(lastAt / DAY)) peakBytes = Math.max(peakBytes, await sizeOf(store, b));
    lastAt = at;
  };
  // One simulated hour at a time, then the daemon's hourly prune, so the peak is measured where it occurs.
  for (let start = 0; start < DISTINCT;) {
    const hourEnd = nextPrune;
    let count = 0;
    while (start + count < DISTINCT && T0 + Math.floor((start + count) * step) < hourEnd) count++;
    await inParallel(count, name === 'mysql' ? 8 : 1, async (i) => {
      const n = start + i, at = T0 + Math.floor(n * step), address = addressOf(n);
      await store.addHits([{ address, jail: 'sshd', at, line: line(address, 0) }], 20);
      await store.addBan({ address, jail: 'sshd', bannedAt: at, until: at + HOUR, count: 1, reason: 'sshd: 5 failures in 10m' });
      await store.liftBan('sshd', address, at + HOUR, 'expired');
    });
    start += count;
    await prune(nextPrune);
    nextPrune += HOUR;
  }
  const end = await store.stats();
  const endBytes = await sizeOf(store, b);
  console.log(`${name.padEnd(6)} ${DISTINCT} distinct addresses over 60 days, retention 30d: peak ${peakRows} ban rows, peak ${mb(Math.max(peakBytes, endBytes))}, ` +
    `end ${end.historyRows} ban rows ${mb(endBytes)}; ${((Date.now() - started) / 1000).toFixed(0)} s; ${memory()}`);
});

for (const name of values.backends.split(',')) {
  if (RECORDS > 0) await perRecord(name);
  if (DISTINCT > 0) await bounded(name);
}
