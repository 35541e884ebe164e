import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import type { Position } from '../sources/source.js';
import { createSqliteStore, type SqliteStore } from '../stores/sqlite.js';
import type { Store } from '../stores/store.js';
import { createDaemon, type Daemon } from './daemon.js';

const line = (a: string): string => `Jan  2 03:04:05 web1 sshd[42]: Failed password for root from ${a} port 4242 ssh2`;
const until = async (ok: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > end) throw new Error('timed out');
  }
};

/**
 * The ban path with a store whose flush to disk (`durable`) the test holds: the firewall must not wait for
 * the disk, the ban must be committed before the firewall changes, and the lines behind the ban must not be
 * marked read before the flush is done (a power cut in between must make the next start read them again).
 */
describe('the ban path and the store flush', () => {
  let dir = '';
  let daemon: Daemon | undefined;
  let sqlite: SqliteStore | undefined;
  afterEach(async () => { await daemon?.stop(); await sqlite?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('runs the action while the flush is held, and saves the position only after it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-durable-'));
    const fw = join(dir, 'fw');
    writeFileSync(fw, `#!/bin/sh\necho "$1 $2" >> '${fw}.log'\n`);
    chmodSync(fw, 0o755);
    const auth = join(dir, 'auth.log');
    writeFileSync(auth, '');
    const file = join(dir, 'dd.yaml');
    writeFileSync(file, [`state_dir: ${dir}`, 'whitelist_self: false',
      `actions: { fw: { type: command, ban: [${fw}, ban, "{address}"], unban: [${fw}, unban, "{address}"] } }`,
      'jails:', '  sshd:', `    sources: [{ type: file, path: ${auth} }]`, '    filter: sshd', '    actions: [fw]',
      '    tracker: { max_failures: 3 }'].join('\n'));
    const loaded = loadConfig(file);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));

    sqlite = createSqliteStore({ path: join(dir, 'state.db') });
    const inner = sqlite;
    let release: () => void = () => {};
    const held = new Promise<void>((r) => { release = r; });
    let flushed = false;
    const saved: Position[] = [];
    const store: Store = {
      ...inner,
      addBan: (b, o) => inner.addBan(b, o),
      durable: async () => { await held; await inner.durable(); flushed = true; },
      setPosition: async (key, p) => { saved.push(p); await inner.setPosition(key, p); },
    };
    daemon = createDaemon(loaded.config, { clock: new ManualClock(Date.UTC(2025, 0, 2)), log: silentLogger, store, selfAddresses: () => [] });
    await daemon.start();
    const savedAtStart = saved.length;

    appendFileSync(auth, `${[1, 2, 3].map(() => line('203.0.113.5')).join('\n')}\n`);
    await until(() => { try { return readFileSync(`${fw}.log`, 'utf8').includes('ban 203.0.113.5'); } catch { return false; } });
    expect(flushed).toBe(false);
    // Committed before the action ran: another connection to the file sees it (it would survive kill -9).
    const other = createSqliteStore({ path: join(dir, 'state.db') });
    try { expect((await other.activeBans()).map((b) => String(b.address))).toEqual(['203.0.113.5']); } finally { await other.close(); }
    await new Promise((r) => setTimeout(r, 100));
    expect(saved.length).toBe(savedAtStart); // the lines behind the ban are not marked read yet

    release();
    await until(() => saved.length > savedAtStart);
    expect(flushed).toBe(true);
    expect(saved.at(-1)?.['offset']).toBe(readFileSync(auth).length);
  });
});
