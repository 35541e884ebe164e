import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import type { StoreConfig } from '../config/types.js';
import type { Ban, Hit } from '../core/types.js';
import type { PortableBan, PortableStore } from './store.js';

/** What a store's test file hands the contract: a fresh, empty store and ways to reach behind it. */
export interface StoreHarness {
  readonly store: PortableStore;
  /** The config that opens the same data through `openStore`, as a child process does (`store-processes.contract.ts`). */
  readonly config: StoreConfig;
  /** Closes the store last returned (by `open` or `reopen`) and opens the same data again. */
  reopen(): Promise<PortableStore>;
  /** Closes whatever is still open and deletes the data. Called once per test. */
  cleanup(): Promise<void>;
  /**
   * Writes, bypassing every check, one active ban in jail `sshd` and one hit whose address is `raw` verbatim,
   * as a damaged or hand-edited store would hold them. The store under test may be open meanwhile.
   */
  injectInvalid(raw: string): Promise<void>;
}

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;

const address = (text: string): Address => {
  const parsed = parseAddress(text);
  if (parsed === undefined) throw new Error(`Test address "${text}" does not parse`);
  return parsed;
};

const A = address('192.0.2.1');
const B = address('2001:db8::7');
const C = address('198.51.100.23');

const ban = (addr: Address, jail: string, bannedAt: number, until: number | null, count = 1): Ban =>
  ({ address: addr, jail, bannedAt, until, count, reason: `${jail}: 5 failures in 10m` });

const hit = (addr: Address, jail: string, at: number, rule?: number): Hit => {
  const line = `Failed password for root from ${addr} port 22 at ${at}`;
  return rule === undefined ? { address: addr, jail, at, line } : { address: addr, jail, at, line, rule };
};

/**
 * The behaviour every {@link Store} must share, run against the real backend. `open` gives a fresh, empty
 * store per test (it may be called twice in one test, for a second store); the contract calls `cleanup`
 * after each test, whatever its outcome.
 */
export function describeStoreContract(name: string, open: () => Promise<StoreHarness>, options: { skip?: boolean } = {}): void {
  // `skip` only outside CI, after test/ci.ts's missing() printed why; under CI=true missing() throws instead.
  describe.skipIf(options.skip === true)(`${name} store contract`, () => {
    let harness: StoreHarness;
    let store: PortableStore;
    const others: StoreHarness[] = [];
    const reopen = async (): Promise<PortableStore> => (store = await harness.reopen());
    /** A second fresh, empty store of the same backend, cleaned up with the first. */
    const another = async (): Promise<PortableStore> => {
      const other = await open();
      others.push(other);
      return other.store;
    };
    const exported = async (from: PortableStore): Promise<PortableBan[]> => {
      const rows: PortableBan[] = [];
      for await (const { id: _id, ...row } of from.exportBans()) rows.push(row);
      return rows;
    };

    beforeEach(async () => {
      harness = await open();
      store = harness.store;
    });
    afterEach(async () => {
      for (const other of others.splice(0)) await other.cleanup();
      await harness.cleanup();
    });

    it('adds a ban, lists it as active and lifts it', async () => {
      const added = await store.addBan(ban(A, 'sshd', T0, T0 + HOUR), 'host-a');
      expect(added).toMatchObject({ address: A, jail: 'sshd', bannedAt: T0, until: T0 + HOUR, count: 1 });
      expect(added).toMatchObject({ origin: 'host-a', liftedAt: null, liftReason: null });
      expect(await store.activeBans()).toEqual([added]);

      const lifted = await store.liftBan('sshd', A, T0 + HOUR, 'expired');
      expect(lifted).toEqual({ ...added, liftedAt: T0 + HOUR, liftReason: 'expired' });
      expect(await store.activeBans()).toEqual([]);
    });

    it('returns the existing active ban unchanged when the same address is banned again in the same jail', async () => {
      const first = await store.addBan(ban(A, 'sshd', T0, T0 + HOUR));
      const again = await store.addBan(ban(A, 'sshd', T0 + 5, T0 + 2 * HOUR, 2));
      expect(again).toEqual(first);
      expect(await store.activeBans()).toHaveLength(1);
      expect(await store.banCount(A, 'sshd', 0)).toBe(1);
    });

    it('keeps one active ban per jail, so one address can be banned in two jails', async () => {
      await store.addBan(ban(A, 'sshd', T0, T0 + HOUR));
      await store.addBan(ban(A, 'postfix', T0, T0 + HOUR));
      expect((await store.activeBans()).map((b) => b.jail).sort()).toEqual(['postfix', 'sshd']);
    });

    it('returns nothing when lifting a ban that is not active', async () => {
      expect(await store.liftBan('sshd', A, T0, 'manual')).toBeUndefined();
      await store.addBan(ban(A, 'sshd', T0, T0 + HOUR));
      expect(await store.liftBan('postfix', A, T0, 'manual')).toBeUndefined();
      expect(await store.liftBan('sshd', A, T0 + 1, 'manual')).toBeDefined();
      expect(await store.liftBan('sshd', A, T0 + 2, 'manual')).toBeUndefined();
    });

    it('bans an address again after its earlier ban was lifted', async () => {
      const first = await store.addBan(ban(A, 'sshd', T0, T0 + HOUR));
      await store.liftBan('sshd', A, T0 + HOUR, 'expired');
      const second = await store.addBan(ban(A, 'sshd', T0 + 2 * HOUR, T0 + 4 * HOUR, 2));
      expect(second.id).not.toBe(first.id);
      expect(await store.activeBans()).toEqual([second]);
    });

    it('keeps a permanent ban active across a reopen', async () => {
      const permanent = await store.addBan(ban(B, 'sshd', T0, null, 5));
      await store.addBan(ban(C, 'sshd', T0, T0 + HOUR));
      await reopen();
      const active = await store.activeBans();
      expect(active).toHaveLength(2);
      expect(active.find((b) => b.address === B)).toEqual(permanent);
      expect(permanent.until).toBeNull();
    });

    it('counts bans per jail and across all jails since a given time, across a reopen', async () => {
      await store.addBan(ban(A, 'sshd', T0, T0 + HOUR));
      await store.liftBan('sshd', A, T0 + HOUR, 'expired');
      await store.addBan(ban(A, 'sshd', T0 + 2 * HOUR, T0 + 4 * HOUR, 2));
      await store.addBan(ban(A, 'postfix', T0 + 3 * HOUR, T0 + 4 * HOUR));
      await store.addBan(ban(C, 'sshd', T0, T0 + HOUR));
      await reopen();
      expect(await store.banCount(A, 'sshd', 0)).toBe(2);
      expect(await store.banCount(A, 'sshd', T0 + 1)).toBe(1);
      expect(await store.banCount(A, undefined, 0)).toBe(3);
      expect(await store.banCount(A, undefined, T0 + 3 * HOUR)).toBe(1);
      expect(await store.banCount(A, 'dovecot', 0)).toBe(0);
      expect(await store.banCount(B, undefined, 0)).toBe(0);
    });

    it('lists the ban history of an address newest first, bounded by the limit, across a reopen', async () => {
      for (let i = 0; i < 4; i++) {
        await store.addBan(ban(A, 'sshd', T0 + i * HOUR, T0 + i * HOUR + 1, i + 1));
        await store.liftBan('sshd', A, T0 + i * HOUR + 1, 'expired');
      }
      await store.addBan(ban(C, 'sshd', T0 + 10 * HOUR, null));
      await reopen();
      const history = await store.banHistory(A, 3);
      expect(history.map((b) => b.bannedAt)).toEqual([T0 + 3 * HOUR, T0 + 2 * HOUR, T0 + HOUR]);
      expect(history.every((b) => b.address === A && b.liftReason === 'expired')).toBe(true);
      expect(await store.banHistory(A, 100)).toHaveLength(4);
    });

    it('records the origin host of a ban, and a non-empty default origin when none is given', async () => {
      expect((await store.addBan(ban(A, 'sshd', T0, null), 'fleet-7')).origin).toBe('fleet-7');
      expect((await store.addBan(ban(B, 'sshd', T0, null))).origin).not.toBe('');
    });

    it('keeps only the newest hits of an address and jail and returns them newest first', async () => {
      const hits = Array.from({ length: 50 }, (_, i) => hit(A, 'sshd', T0 + i * 1000, i % 3));
      await store.addHits(hits.slice(0, 30), 20);
      await store.addHits(hits.slice(30), 20);
      const recent = await store.recentHits(A, 100);
      expect(recent).toHaveLength(20);
      expect(recent).toEqual(hits.slice(30).reverse());
      expect(await store.recentHits(A, 5)).toEqual(hits.slice(45).reverse());
      expect(await store.recentHits(B, 5)).toEqual([]);
    });

    it('bounds hits per jail, so one jail cannot push out another', async () => {
      const sshd = Array.from({ length: 10 }, (_, i) => hit(A, 'sshd', T0 + i));
      const postfix = Array.from({ length: 10 }, (_, i) => hit(A, 'postfix', T0 + 100 + i));
      await store.addHits([...sshd, ...postfix], 3);
      const recent = await store.recentHits(A, 100);
      expect(recent.filter((h) => h.jail === 'sshd')).toEqual(sshd.slice(7).reverse());
      expect(recent.filter((h) => h.jail === 'postfix')).toEqual(postfix.slice(7).reverse());
    });

    it('round-trips a source position and keeps it across a reopen', async () => {
      expect(await store.getPosition('file:/var/log/auth.log')).toBeUndefined();
      await store.setPosition('file:/var/log/auth.log', { inode: 1234, offset: 10 });
      await store.setPosition('file:/var/log/auth.log', { inode: 1234, offset: 99_000_000_000 });
      await store.setPosition('journal', { cursor: 's=abc;i=1f' });
      await reopen();
      expect(await store.getPosition('file:/var/log/auth.log')).toEqual({ inode: 1234, offset: 99_000_000_000 });
      expect(await store.getPosition('journal')).toEqual({ cursor: 's=abc;i=1f' });
    });

    it('prunes old lifted bans and old hits but keeps active and permanent bans', async () => {
      await store.addBan(ban(A, 'sshd', T0, T0 + HOUR));
      await store.liftBan('sshd', A, T0 + HOUR, 'expired');
      const permanent = await store.addBan(ban(B, 'sshd', T0, null, 5));
      const active = await store.addBan(ban(C, 'sshd', T0, T0 + HOUR));
      await store.addBan(ban(C, 'postfix', T0 + 5 * HOUR, T0 + 6 * HOUR));
      await store.liftBan('postfix', C, T0 + 6 * HOUR, 'expired');
      await store.addHits([hit(A, 'sshd', T0), hit(A, 'sshd', T0 + 10 * HOUR)], 10);

      expect(await store.prune(T0 + 2 * HOUR)).toBe(2);
      expect(await store.activeBans()).toEqual([permanent, active]);
      expect((await store.banHistory(C, 10)).map((b) => b.jail)).toEqual(['postfix', 'sshd']);
      expect(await store.banHistory(A, 10)).toEqual([]);
      expect((await store.recentHits(A, 10)).map((h) => h.at)).toEqual([T0 + 10 * HOUR]);
      expect(await store.prune(T0 + 2 * HOUR)).toBe(0);
    });

    it('skips rows whose address does not parse instead of failing', async () => {
      const valid = await store.addBan(ban(A, 'sshd', T0, null));
      await store.addHits([hit(A, 'sshd', T0)], 10);
      await harness.injectInvalid('999.1.1.1');
      await harness.injectInvalid('not an address; rm -rf /');
      expect(await store.activeBans()).toEqual([valid]);
      expect(await store.recentHits(A, 10)).toHaveLength(1);
      expect(await store.banHistory(A, 10)).toEqual([valid]);
      await reopen();
      expect(await store.activeBans()).toEqual([valid]);
      expect(await store.prune(T0 + HOUR)).toBeGreaterThanOrEqual(0);
    });

    it('reports counts of active bans, ban rows and hits', async () => {
      await store.addBan(ban(A, 'sshd', T0, T0 + HOUR));
      await store.liftBan('sshd', A, T0 + HOUR, 'expired');
      await store.addBan(ban(B, 'sshd', T0, null));
      await store.addHits([hit(A, 'sshd', T0), hit(B, 'sshd', T0)], 10);
      expect(await store.stats()).toMatchObject({ activeBans: 1, historyRows: 2, hitRows: 2 });
    });

    it('exports every ban row, active, lifted and permanent, in the order they were stored', async () => {
      await store.addBan(ban(A, 'sshd', T0, T0 + HOUR), 'host-a');
      await store.liftBan('sshd', A, T0 + HOUR, 'expired');
      await store.addBan(ban(B, 'sshd', T0 + 1, null, 5));
      await store.addBan(ban(A, 'postfix', T0 + 2, T0 + HOUR));
      const rows = await exported(store);
      expect(rows.map((r) => [r.address, r.jail, r.liftedAt, r.until])).toEqual([
        [A, 'sshd', T0 + HOUR, T0 + HOUR], [B, 'sshd', null, null], [A, 'postfix', null, T0 + HOUR],
      ]);
      expect(rows[0]).toMatchObject({ origin: 'host-a', liftReason: 'expired', count: 1 });
    });

    it('imports an export into an empty store and adds nothing when the same rows are imported again', async () => {
      await store.addBan(ban(A, 'sshd', T0, T0 + HOUR));
      await store.liftBan('sshd', A, T0 + HOUR, 'expired');
      await store.addBan(ban(A, 'sshd', T0 + 2 * HOUR, null, 2));
      await store.addBan(ban(C, 'postfix', T0, T0 + HOUR));
      const rows = await exported(store);
      const target = await another();
      expect(await target.importBans(rows)).toEqual({ added: 3, lifted: 0, skipped: 0 });
      expect(await target.importBans(rows)).toEqual({ added: 0, lifted: 0, skipped: 3 });
      expect(await exported(target)).toEqual(rows);
      expect(await target.banCount(A, 'sshd', 0)).toBe(2);
      expect((await target.activeBans()).map((b) => [b.address, b.until])).toEqual([[A, null], [C, T0 + HOUR]]);
    });

    it('lifts on import a ban that the imported rows show lifted, and never displaces an active ban', async () => {
      const row = (b: Ban): PortableBan => ({ ...b, origin: 'elsewhere', liftedAt: null, liftReason: null });
      const first = row(ban(A, 'sshd', T0, T0 + HOUR));
      await store.importBans([first, row(ban(B, 'sshd', T0, T0 + HOUR))]);
      await store.addBan(ban(C, 'sshd', T0 + 5, null));
      const later = [{ ...first, liftedAt: T0 + 10, liftReason: 'manual unban' }, row(ban(C, 'sshd', T0 + 7, T0 + HOUR))];
      expect(await store.importBans(later)).toEqual({ added: 0, lifted: 1, skipped: 1 });
      expect((await store.activeBans()).map((b) => [b.address, b.bannedAt])).toEqual([[B, T0], [C, T0 + 5]]);
      expect((await store.banHistory(A, 1))[0]).toMatchObject({ liftedAt: T0 + 10, liftReason: 'manual unban' });
    });

    it('can be closed twice', async () => {
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
