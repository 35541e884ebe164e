import { spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import { recorder, sshdFailure, startDaemon, tempDir, until, type Daemon } from '../../test/daemon.js';
import { createPrivateMariadb, createTestDatabase, type PrivateMariadb, type TestDatabase } from '../../test/stores.js';
import { parseAddress, type Address } from '../core/address.js';
import type { Logger } from '../core/log.js';
import { openStore } from './index.js';
import type { QueueingStore } from './queueing.js';

/*
 * Outage: a MariaDB server of the test's own (a spare port and a temp data folder; never the machine's shared
 * server) is killed with SIGKILL while bans are being written, then started again. Every ban must land in the
 * database exactly once, and the daemon must go on banning meanwhile.
 */

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

const tools = ['mariadb-install-db', '/usr/sbin/mariadbd'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = tools.length > 0 && missing('a private MariaDB server', `${tools.join(' and ')} not installed (apt-get install -y mariadb-server)`);

const address = (n: number): Address => parseAddress(`10.9.${n >> 8}.${n & 255}`) ?? (() => { throw new Error('bad address'); })();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip)('mysql store during an outage of its server', () => {
  let server: PrivateMariadb;
  let db: TestDatabase;
  beforeAll(async () => {
    server = await createPrivateMariadb();
    await server.start();
    db = await createTestDatabase(server.port);
  }, 120_000);
  afterAll(async () => {
    await server?.start().catch(() => {});
    await db?.drop();
    await server?.remove();
  }, 60_000);

  const storeConfig = (prefix: string) => ({
    type: 'mysql', host: '127.0.0.1', port: server.port, user: 'root', password: '', database: db.name, tablePrefix: prefix, retentionMs: 30 * 24 * HOUR,
  } as const);

  it('queues the bans written while the server is killed and writes each exactly once after it restarts', async () => {
    const messages: string[] = [];
    const log: Logger = { level: 'info', debug() {}, info: (m) => { messages.push(m); }, warn: (m) => { messages.push(m); }, error: (m) => { messages.push(m); } };
    const opened = await openStore(storeConfig('q_'), { log, queue: { retryMinMs: 200, retryMaxMs: 1000, timeoutMs: 5000 } });
    if (!opened.ok) throw new Error(opened.error);
    const store = opened.value as QueueingStore;

    const total = 300, slowest: number[] = [];
    const writer = (async () => {
      for (let n = 0; n < total; n++) {
        const started = Date.now();
        await store.addBan({ address: address(n), jail: 'sshd', bannedAt: T0 + n, until: T0 + n + HOUR, count: 1, reason: 'outage test' });
        await store.addHits([{ address: address(n), jail: 'sshd', at: T0 + n, line: `Failed password from ${address(n)}` }], 5);
        if (n % 10 === 9) await store.liftBan('sshd', address(n - 5), T0 + n, 'manual unban');
        slowest.push(Date.now() - started);
        await sleep(10);
      }
    })();
    await until(() => slowest.length >= 60);
    await server.kill('SIGKILL');
    await until(() => slowest.length >= 150);
    expect(store.available).toBe(false);
    await server.start();
    await writer;
    expect(await until(() => store.available, 30_000)).toBe(true);

    const counts = await db.query('SELECT address, COUNT(*) AS n FROM `q_bans` GROUP BY address HAVING n <> 1');
    expect(counts).toEqual([]);
    expect(await db.query('SELECT COUNT(*) AS n FROM `q_bans`')).toEqual([{ n: total }]);
    expect(await db.query('SELECT COUNT(*) AS n FROM `q_bans` WHERE lifted_at IS NOT NULL')).toEqual([{ n: total / 10 }]);
    expect(await db.query('SELECT COUNT(*) AS n FROM `q_hits`')).toEqual([{ n: total }]);
    expect(store.counters).toMatchObject({ outages: 1, dropped: 0, failed: 0 });
    expect(store.counters.replayed).toBeGreaterThan(0);
    // Queued writes answer at once: the daemon never waits for a dead server to ban.
    expect(Math.max(...slowest)).toBeLessThan(2000);
    expect(messages.some((m) => m.includes('unreachable; queueing writes'))).toBe(true);
    expect(messages.some((m) => m.includes('reachable again'))).toBe(true);
    await store.close();
  }, 180_000);

  it('lets the daemon go on banning through the outage and stores those bans once the server is back', async () => {
    const dir = tempDir('dd-outage-');
    const rec = recorder(dir);
    const log = dir.file('auth.log');
    writeFileSync(log, '');
    const config = dir.file('dd.yaml');
    const c = storeConfig('d_');
    writeFileSync(config, [
      `state_dir: ${dir.file('state')}`, `pidfile: ${dir.file('dd.pid')}`, `control: { socket: ${dir.file('control.sock')} }`,
      `store: { type: mysql, host: 127.0.0.1, port: ${c.port}, user: root, password: '', database: ${c.database}, table_prefix: d_ }`,
      'defaults:', '  tracker: { type: window, max_failures: 3, period: 10m }', '  ban: { time: 1h }',
      'actions:', `  record: { type: command, ban: [${rec.script}, ban, "{address}"], unban: [${rec.script}, unban, "{address}"] }`,
      'jails:', '  sshd:', `    sources: [{ type: file, path: ${log} }]`, '    filter: sshd', '    actions: [record]',
    ].join('\n'));
    let daemon: Daemon | undefined;
    try {
      daemon = startDaemon(['run', '-c', config]);
      const d = daemon;
      expect(await until(() => d.output().includes('Started with'), 15_000), d.output()).toBe(true);
      const fail = (a: string): void => { for (let i = 0; i < 3; i++) appendFileSync(log, sshdFailure(a)); };
      fail('203.0.113.10');
      expect(await until(() => rec.lines().includes('ban 203.0.113.10')), d.output()).toBe(true);

      await server.kill('SIGKILL');
      fail('203.0.113.11');
      fail('203.0.113.12');
      expect(await until(() => rec.lines().includes('ban 203.0.113.11') && rec.lines().includes('ban 203.0.113.12'), 15_000), d.output()).toBe(true);
      await server.start();
      const stored = async (): Promise<unknown> => db.query('SELECT address FROM `d_bans` ORDER BY address');
      const expected = [{ address: '203.0.113.10' }, { address: '203.0.113.11' }, { address: '203.0.113.12' }];
      const end = Date.now() + 60_000;
      while (Date.now() < end && JSON.stringify(await stored()) !== JSON.stringify(expected)) await sleep(250);
      expect(await stored(), d.output()).toEqual(expected);
      expect(d.output()).toContain('unreachable; queueing writes');
    } finally {
      await daemon?.stop('SIGKILL');
      dir.cleanup();
    }
  }, 180_000);
});
