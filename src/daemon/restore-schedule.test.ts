import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ipv4Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { openSqliteStore } from '../stores/index.js';
import type { Store } from '../stores/store.js';
import { sshdNobanConfig } from '../../test/daemon-config.js';
import { createDaemon, type Daemon } from './daemon.js';

const T0 = Date.UTC(2025, 0, 2);
const BANS = 4_500; // more than two of the slices the restore schedules per turn of the event loop

/** The restore at start schedules the unban of every ban it restores, across the turns it takes. */
describe('restoring many bans', () => {
  let dir: string;
  let store: Store | undefined;
  let daemon: Daemon | undefined;
  afterEach(async () => { await daemon?.stop(); await store?.close(); rmSync(dir, { recursive: true, force: true }); });

  it('lifts each restored ban at its own time, the last slice as the first', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-restore-'));
    const sqlite = await openSqliteStore({ path: join(dir, 'state.db') });
    store = sqlite;
    const rows = Array.from({ length: BANS }, (_, i) => ({
      address: ipv4Address(0x0a000000 + i), jail: 'sshd', bannedAt: T0 - 1000, until: T0 + (i + 1) * 1000, count: 1,
      reason: 'test', origin: 'test', liftedAt: null, liftReason: null,
    }));
    expect(await sqlite.importBans(rows)).toMatchObject({ added: BANS });
    const config = sshdNobanConfig(dir);
    const clock = new ManualClock(T0);
    daemon = createDaemon(config, { clock, log: silentLogger, store, selfAddresses: () => [] });
    await daemon.start();
    expect(daemon.counters.restored).toBe(BANS);
    expect(daemon.activeBans()).toHaveLength(BANS);

    const activeInStore = async (): Promise<number> => (await store!.activeBans()).length;
    const settle = async (want: number): Promise<number> => {
      for (let i = 0; i < 100 && (await activeInStore()) !== want; i++) await new Promise((r) => setTimeout(r, 20));
      return activeInStore();
    };
    clock.set(T0 + 2_100 * 1000);
    expect(await settle(BANS - 2_100)).toBe(BANS - 2_100);
    clock.set(T0 + (BANS - 1) * 1000);
    expect(await settle(1)).toBe(1);
    clock.set(T0 + BANS * 1000);
    expect(await settle(0)).toBe(0);
    expect(daemon.counters.unbans).toBe(BANS);
  }, 60_000);

  it('leaves out of the schedule a restored ban that a manual ban replaced while the restore ran', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-restore-'));
    const sqlite = await openSqliteStore({ path: join(dir, 'state.db') });
    store = sqlite;
    // Ten slices: the manual ban below is in force before the restore reaches the last.
    const BANS = 20_000;
    const rows = Array.from({ length: BANS }, (_, i) => ({
      address: ipv4Address(0x0a000000 + i), jail: 'sshd', bannedAt: T0 - 1000, until: T0 + 1000, count: 1,
      reason: 'test', origin: 'test', liftedAt: null, liftReason: null,
    }));
    expect(await sqlite.importBans(rows)).toMatchObject({ added: BANS });
    const clock = new ManualClock(T0);
    daemon = createDaemon(sshdNobanConfig(dir), { clock, log: silentLogger, store, selfAddresses: () => [] });
    const d = daemon;
    const started = d.start();
    // Once the restored bans are in force, the restore schedules their unbans a slice per turn of the event
    // loop: a ban made by hand in between replaces one of the last slice's, for a day.
    while (d.activeBans().length < BANS) await new Promise((r) => setImmediate(r));
    const replaced = ipv4Address(0x0a000000 + BANS - 1);
    const manual = await d.ban(replaced, 'sshd', { forMs: 86_400_000 });
    expect(manual.ok).toBe(true);
    await started;
    expect(d.counters.restored).toBe(BANS);

    clock.set(T0 + 2000);
    const activeInStore = async (): Promise<number> => (await store!.activeBans()).length;
    for (let i = 0; i < 100 && (await activeInStore()) !== 1; i++) await new Promise((r) => setTimeout(r, 20));
    // The restored bans are lifted at their time; the manual one stays, though the restore read the old one,
    // and is lifted at its own.
    expect(d.activeBans().map((b) => b.address)).toEqual([replaced]);
    expect(await activeInStore()).toBe(1);
    clock.set(T0 + 86_400_000 + 1000);
    for (let i = 0; i < 100 && (await activeInStore()) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(d.activeBans()).toEqual([]);
  }, 60_000);
});
