import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import { ManualClock } from '../core/clock.js';
import { nativeSpawner } from '../core/exec-native.js';
import { createLogger } from '../core/log.js';
import { openSqliteStore } from '../stores/index.js';
import type { Store } from '../stores/store.js';
import { sshdNobanConfig } from '../../test/daemon-config.js';
import { createDaemon, type Daemon } from './daemon.js';

/** An administrator must learn from the start-up log that every command will fork the daemon, and why. */
describe('the daemon at start, about how it starts commands', () => {
  let dir: string;
  let store: Store | undefined;
  let daemon: Daemon | undefined;
  const saved = process.env['DICTDEFENCE_SPAWN'];
  afterEach(async () => {
    await daemon?.stop();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env['DICTDEFENCE_SPAWN']; else process.env['DICTDEFENCE_SPAWN'] = saved;
  });

  const startLogged = async (): Promise<string> => {
    dir = mkdtempSync(join(tmpdir(), 'dd-spawner-'));
    store = await openSqliteStore({ path: join(dir, 'state.db') });
    const config = sshdNobanConfig(dir);
    let text = '';
    const log = createLogger('info', { write: (line) => { text += line; } }, false);
    daemon = createDaemon(config, { clock: new ManualClock(Date.UTC(2025, 0, 2)), log, store, selfAddresses: () => [] });
    await daemon.start();
    return text;
  };

  it('warns, naming the reason, when asked to fork (DICTDEFENCE_SPAWN=fork)', async () => {
    process.env['DICTDEFENCE_SPAWN'] = 'fork';
    const text = await startLogged();
    expect(text).toContain("warn Commands start as forks of the daemon (Node's child_process), not through the native spawner: DICTDEFENCE_SPAWN=fork\n");
  });

  it('says nothing of it where the native spawner is in use', async (ctx) => {
    delete process.env['DICTDEFENCE_SPAWN'];
    const native = nativeSpawner();
    if (!native.ok && missing('the native spawner', native.error)) return ctx.skip();
    const text = await startLogged();
    expect(text).toContain('info Started with 1 jail: sshd\n');
    expect(text).not.toContain('Commands start as forks');
  });
});
