import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, deleteAll, firewallUnavailable, inNs } from '../../test/netns.js';
import { loadConfig } from '../config/load.js';
import { parseAddress, type Address } from '../core/address.js';
import { realClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { createSqliteStore } from '../stores/sqlite.js';
import { createDaemon } from './daemon.js';

// At start the daemon makes an action that can (nftables) hold exactly the active bans of the store, in one
// step: what the kernel still held from before that the store no longer has is dropped with it.
describe('restore at start', () => {
  let skip = false;
  beforeAll(async () => { skip = await firewallUnavailable(['nft']); });
  afterAll(deleteAll);

  it('leaves exactly the stored active bans in the nftables sets', async (ctx) => {
    if (skip) return ctx.skip();
    const ns = await createNetns();
    const dir = mkdtempSync(join(tmpdir(), 'dd-restore-'));
    try {
      writeFileSync(join(dir, 'auth.log'), '');
      const file = join(dir, 'dd.yaml');
      writeFileSync(file, [`state_dir: ${dir}`, 'whitelist_self: false', `actions: { fw: { type: nftables, netns: ${ns} } }`,
        'jails:', '  sshd:', `    sources: [{ type: file, path: ${join(dir, 'auth.log')} }]`, '    filter: sshd', '    actions: [fw]'].join('\n'));
      const loaded = loadConfig(file);
      if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
      const store = createSqliteStore({ path: join(dir, 'state.db') });
      const now = Date.now();
      for (const a of ['192.0.2.1', '2001:db8::1']) {
        await store.addBan({ address: parseAddress(a) as Address, jail: 'sshd', bannedAt: now, until: now + 3_600_000, count: 1, reason: 'test' });
      }
      // A first daemon sets the table up; the kernel then holds an element the store does not know.
      const first = createDaemon(loaded.config, { clock: realClock, log: silentLogger, store, selfAddresses: () => [] });
      await first.start();
      await first.stop();
      await inNs(ns, ['nft', 'add', 'element', 'inet', 'dictdefence', 'banned_v4', '{ 198.51.100.9 timeout 1h }']);
      const second = createDaemon(loaded.config, { clock: realClock, log: silentLogger, store, selfAddresses: () => [] });
      await second.start();
      try {
        const text = await inNs(ns, ['nft', 'list', 'table', 'inet', 'dictdefence']);
        expect(text).toContain('192.0.2.1');
        expect(text).toContain('2001:db8::1');
        expect(text).not.toContain('198.51.100.9');
      } finally {
        await second.stop();
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
