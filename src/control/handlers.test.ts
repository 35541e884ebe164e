import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { createDaemon, type Daemon } from '../daemon/daemon.js';
import { openSqliteStore } from '../stores/index.js';
import type { Store } from '../stores/store.js';
import { createHandler } from './handlers.js';
import type { StatusResult } from './protocol.js';

const line = (a: string): string => `Jan  2 03:04:05 web1 sshd[42]: Failed password for root from ${a} port 4242 ssh2`;

describe('status', () => {
  let dir = '';
  let store: Store | undefined;
  let daemon: Daemon | undefined;
  afterEach(async () => { await daemon?.stop(); await store?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('counts each jail its own active bans', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-status-'));
    const file = join(dir, 'dd.yaml');
    writeFileSync(file, [
      `state_dir: ${dir}`, 'whitelist_self: false', 'actions:', '  none: { type: noban }', 'jails:',
      ...['a', 'b', 'c'].flatMap((n) => [`  ${n}:`, `    sources: [{ type: file, path: ${join(dir, `${n}.log`)} }]`, '    filter: sshd',
        '    actions: [none]', '    tracker: { max_failures: 1 }']),
    ].join('\n'));
    const loaded = loadConfig(file);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
    const clock = new ManualClock(Date.UTC(2025, 0, 2));
    store = await openSqliteStore({ path: join(dir, 'state.db') });
    daemon = createDaemon(loaded.config, { clock, log: silentLogger, store, selfAddresses: () => [] });
    await daemon.start();
    const fail = (jail: string, ...addresses: string[]): void => {
      daemon!.jails.get(jail)!.handle(addresses.map((a) => ({ text: line(a), source: 'test', receivedAt: clock.now() })));
    };
    fail('a', '203.0.113.1', '203.0.113.2', '203.0.113.3');
    fail('c', '203.0.113.1');
    for (let i = 0; i < 50 && daemon.activeBans().length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    const handler = createHandler({
      daemon, store, clock, version: 'test', configFile: file,
      reload: () => Promise.reject(new Error('not here')), stop: () => undefined,
    });
    const reply = await handler({ command: 'status' });
    if (!reply.ok) throw new Error(reply.error);
    const status = reply.result as StatusResult;
    expect(status.counters.activeBans).toBe(4);
    expect(status.jails.map((j) => [j.name, j.activeBans])).toEqual([['a', 3], ['b', 0], ['c', 1]]);
  });
});
