import { hostname } from 'node:os';
import type { Action } from '../actions/action.js';
import { computeBan } from '../bans/policy.js';
import { createUnbanSchedule, type UnbanSchedule } from '../bans/schedule.js';
import type { Config } from '../config/types.js';
import type { Address } from '../core/address.js';
import type { CidrSet } from '../core/cidr.js';
import { spawnerInUse } from '../core/exec.js';
import { createActiveBans } from './active-bans.js';
import { banKey, type Ban, type Hit, type Offence } from '../core/types.js';
import type { StoredBan } from '../stores/store.js';
import type { NoticeEvent } from '../notifiers/notifier.js';
import type { Source } from '../sources/source.js';
import { createApplier, groupByAction, verifyActions } from './apply.js';
import type { Daemon, DaemonCounters, DaemonDeps, ReloadOutcome } from './daemon-types.js';
import { createSourceFollower } from './follow.js';
import { routersBySource, type LineRouter } from './router.js';
import { lastWindow } from './last-window.js';
import { createStoreGate } from './persist.js';
import { createQuietWatch } from './quiet.js';
import { selfAddresses } from './self-addresses.js';
import { banMoves, buildWorld, leftovers, restartKeys, usedActions, type World } from './world.js';

export type { Daemon, DaemonCounters, DaemonDeps, ManualBan, ReloadOutcome, ReloadSummary } from './daemon-types.js';

/** How long the sources must deliver nothing before `onQuiet` (half a second to a second after the last line). */
const QUIET_MS = 500;

/** Bans scheduled per turn of the event loop during a restore (see recover). */
const SCHEDULE_SLICE = 2000;

/** Builds the whole pipeline from a validated config. Throws only for what the config check cannot see. */
export function createDaemon(config: Config, deps: DaemonDeps): Daemon {
  const { clock, log, store } = deps;
  const counters: DaemonCounters = { bans: 0, unbans: 0, storeErrors: 0, startedAt: clock.now(), restored: 0, expiredWhileDown: 0, reloads: 0 };
  const active = createActiveBans();
  const pending = new Set<string>();
  const origin = hostname();
  const { persist, recordNow } = createStoreGate(store, origin, log, counters);
  const initialized = new Set<Action>();
  const follower = createSourceFollower();
  let stopping = false;
  let reloading: Promise<unknown> = Promise.resolve();

  // Jails hold this view, so a reload can swap the whitelist under them without rebuilding them.
  const whitelistView: CidrSet = {
    has: (a) => world.whitelist.has(a),
    hasIPv4: (v4) => world.whitelist.hasIPv4(v4),
    hasIPv6: (a, key, at) => world.whitelist.hasIPv6(a, key, at),
    find: (a) => world.whitelist.find(a),
    get entries() { return world.whitelist.entries; },
  };
  const worldDeps = {
    clock, log, positions: store, hostname: origin, selfAddresses: deps.selfAddresses ?? selfAddresses,
    whitelist: whitelistView, bansOf: active.of,
    onOffence: (o: Offence, hits: Hit[]) => { void banOffence(o, hits); },
    ...(deps.notifiers ? { notifiers: deps.notifiers } : {}),
  };
  let world: World = buildWorld(config, worldDeps);

  const applier = createApplier({
    clock, log,
    wants: (b, action) => active.get(b.jail, b.address)?.bannedAt === b.bannedAt && actionsOf(b.jail).includes(action),
  });
  const schedule: UnbanSchedule = createUnbanSchedule(clock, (due) => { void expire(due); });

  const actionsIn = (w: World) => (jail: string): readonly Action[] => (deps.dryRun ? [] : w.jails.get(jail)?.actions ?? []);
  const actionsOf = (jail: string): readonly Action[] => actionsIn(world)(jail);
  const notify = (jail: string, event: NoticeEvent): void => {
    for (const n of world.jails.get(jail)?.notifiers ?? []) {
      try { n.notify(event); } catch (e) { log.warn(`Notifier "${n.name}" failed: ${(e as Error).message}`); }
    }
  };

  /** An address may be banned in several jails that share an action: lift it there only when none is left. */
  const stillHeld = (action: Action, address: Address): boolean => {
    for (const b of active.values()) {
      if (b.address === address && actionsOf(b.jail).includes(action)) return true;
    }
    return false;
  };

  /** `recorded`: the store has the ban already (recordBanNow). */
  async function applyBan(ban: Ban, hits: readonly Hit[], recorded = false): Promise<void> {
    // Persist first: a crash after this line is repaired at the next start, which re-applies active bans.
    // (A power cut before the ban reached the disk is repaired by reading its lines again: see below.)
    if (!recorded) await persist('record the ban', () => store.addBan(ban, origin));
    active.set(ban);
    counters.bans++;
    schedule.add(ban);
    log.info(`${deps.dryRun ? 'Would ban' : 'Ban'} ${ban.address}`, {
      jail: ban.jail, until: ban.until === null ? 'permanent' : new Date(ban.until).toISOString(), count: ban.count, reason: ban.reason,
    });
    // The actions start (their processes spawn) before the hits and the position are written: those are not
    // what the firewall waits for, and the ban they belong to is durable already.
    const applied = Promise.all(actionsOf(ban.jail).map((a) => applier.ban(a, [ban])));
    if (hits.length > 0) await persist('record hits', () => store.addHits(hits, world.config.hitsPerAddress));
    // The ban reached the disk while the actions spawned (see Store.durable). Only now may the lines behind
    // it be marked read (see Source.flushPosition): a power cut before this makes the next start read them again.
    const durable = store.durable?.bind(store);
    if (durable) await persist('flush the ban to disk', durable);
    await Promise.all((world.jails.get(ban.jail)?.sources ?? []).map((s) => s.flushPosition?.()));
    await applied;
    const tracker = world.jails.get(ban.jail)?.config.tracker;
    notify(ban.jail, { kind: 'ban', ban, hits: tracker ? lastWindow(hits, tracker) : hits });
  }

  async function banOffence(o: Offence, hits: Hit[]): Promise<void> {
    const key = banKey(o.jail, o.address);
    if (active.isBanned(o.jail, o.address) || pending.has(key)) return;
    const jail = world.jails.get(o.jail);
    if (!jail) return;
    pending.add(key);
    try {
      const cfg = jail.config.ban;
      const since = clock.now() - world.config.store.retentionMs;
      const countIn = cfg.countAllJails ? undefined : o.jail;
      // The ban starts now even when the failures were timed by their lines (a replayed old log).
      const make = (previous: number): Ban => computeBan({ ...o, at: clock.now() }, previous, cfg);
      const recorded = recordNow(o.address, o.jail, countIn, since, make);
      if (recorded) return await applyBan(recorded, hits, true);
      const previous = (await persist('count previous bans', () => store.banCount(o.address, countIn, since))) ?? 0;
      await applyBan(make(previous), hits);
    } finally {
      pending.delete(key);
    }
  }

  /** Forgets bans in the daemon and the store; the caller lifts them in the firewall. */
  async function forget(bans: readonly Ban[], reason: string): Promise<Ban[]> {
    const lifted: Ban[] = [];
    for (const b of bans) {
      const current = active.get(b.jail, b.address);
      if (current && current.bannedAt !== b.bannedAt) continue; // re-banned since: not this one
      active.delete(b.jail, b.address);
      schedule.remove(b.jail, b.address);
      await persist('lift the ban', () => store.liftBan(b.jail, b.address, clock.now(), reason));
      lifted.push(b);
      counters.unbans++;
      log.info(`Unban ${b.address}`, { jail: b.jail, reason });
    }
    return lifted;
  }

  async function unbanIn(groups: Map<Action, Ban[]>): Promise<void> {
    for (const [action, list] of groups) {
      const free = list.filter((b) => !stillHeld(action, b.address));
      if (free.length > 0) await applier.unban(action, free);
    }
  }

  async function lift(bans: readonly Ban[], reason: string): Promise<void> {
    const lifted = await forget(bans, reason);
    await unbanIn(groupByAction(lifted, actionsOf));
    for (const b of lifted) notify(b.jail, { kind: 'unban', ban: b, reason });
  }

  const expire = (due: Ban[]): Promise<void> => lift(due, 'expired');

  async function recover(rows: readonly StoredBan[]): Promise<void> {
    const now = clock.now();
    const expired: Ban[] = [], keep: Ban[] = [];
    for (const b of rows) {
      if (!world.jails.has(b.jail)) {
        log.warn(`Ban of ${b.address} belongs to jail "${b.jail}", which is not configured: lifting it`);
        await persist('lift the ban', () => store.liftBan(b.jail, b.address, now, 'jail removed'));
        continue;
      }
      (b.until !== null && b.until <= now ? expired : keep).push(b);
    }
    counters.restored = keep.length;
    counters.expiredWhileDown = expired.length;
    // Re-apply everything in one batch per action; lift in the firewall what expired while we were down.
    const groups = groupByAction(keep, actionsOf);
    const whole = deps.dryRun ? [] : [...usedActions(world)].filter((a) => a.replaceAll !== undefined && initialized.has(a));
    for (const a of whole) groups.set(a, groups.get(a) ?? []);
    for (const b of keep) active.set(b);
    const restoredAt = active.changes();
    const applied = Promise.all([...groups].map(([a, list]) => (whole.includes(a) ? applier.replaceAll(a, list) : applier.ban(a, list))));
    // The unbans are scheduled while the firewall's own process takes in the batch, on the other core. That
    // process reads its batch through a pipe of 64 KiB, which only the event loop refills: a turn of it every
    // SCHEDULE_SLICE bans keeps the pipe from running dry.
    for (let i = 0; i < keep.length; i += SCHEDULE_SLICE) {
      await new Promise((resolve) => setImmediate(resolve));
      // A control command may have lifted or replaced a ban during the wait: then each is looked up (while
      // none did, none need be: 36–55 ms of a restore of 100,000 bans).
      const slice = keep.slice(i, i + SCHEDULE_SLICE);
      schedule.addMany(active.changes() === restoredAt ? slice : slice.filter((b) => active.get(b.jail, b.address) === b));
    }
    await applied;
    for (const b of expired) active.set(b);
    await lift(expired, 'expired while stopped');
    if (keep.length + expired.length > 0) log.info(`Restored ${keep.length} active bans, lifted ${expired.length} that expired while stopped`);
  }

  async function initActions(w: World): Promise<void> {
    for (const a of usedActions(w)) {
      if (deps.dryRun || initialized.has(a)) continue;
      const r = await a.init();
      if (!r.ok) throw new Error(`Cannot start action "${a.name}" (${a.type}): ${r.error}`);
      initialized.add(a);
    }
  }

  const quiet = deps.onQuiet && createQuietWatch(clock, QUIET_MS, deps.onQuiet);
  // Routers are built for the world that is live when a batch arrives: a reload may change who reads a source.
  let routes = { of: world, routers: routersBySource(world.jails.values()) };
  const routerOf = (source: Source): LineRouter | undefined => {
    if (routes.of !== world) routes = { of: world, routers: routersBySource(world.jails.values()) };
    return routes.routers.get(source);
  };
  const followSources = (): Promise<void> => follower.follow(world.jails, (source, lines) => {
    quiet?.lines();
    routerOf(source)?.deliver(lines);
  }, (source) => {
    // A source with a jail whose filter reads bytes: its lines are routed, and that jail's decided, before any
    // string is made of them (router-bytes.ts).
    const take = routerOf(source)?.take;
    if (take !== undefined) quiet?.lines();
    return take;
  });

  async function reload(next: Config): Promise<ReloadOutcome> {
    if (stopping) return { ok: false, errors: ['The daemon is stopping'] };
    const previous = world;
    let built: World;
    try {
      built = buildWorld(next, worldDeps, previous);
      await initActions(built);
    } catch (e) {
      return { ok: false, errors: [(e as Error).message] };
    }
    const bans = [...active.values()];
    world = built;
    const gone = bans.filter((b) => !built.jails.has(b.jail));
    await forget(gone, 'jail removed');
    const moves = banMoves(bans.filter((b) => built.jails.has(b.jail)), actionsIn(previous), actionsIn(built));
    await Promise.all([...moves.ban].map(([a, list]) => applier.ban(a, list)));
    await unbanIn(banMoves(gone, actionsIn(previous), () => []).unban);
    await unbanIn(moves.unban);
    await followSources();
    const old = leftovers(previous, built);
    for (const a of old.actions) {
      if (!initialized.delete(a)) continue;
      const r = await a.close();
      if (!r.ok) log.warn(`Action "${a.name}" did not close cleanly: ${r.error}`);
    }
    await Promise.all(old.notifiers.map((n) => n.close()));
    counters.reloads++;
    const names = (w: World): Set<string> => new Set(w.jails.keys());
    const before = names(previous), after = names(built);
    return {
      ok: true,
      summary: {
        added: [...after].filter((n) => !before.has(n)),
        removed: [...before].filter((n) => !after.has(n)),
        changed: [...after].filter((n) => before.has(n) && previous.jails.get(n) !== built.jails.get(n)),
        kept: [...after].filter((n) => previous.jails.get(n) === built.jails.get(n)),
        needRestart: restartKeys(previous.config, next),
      },
    };
  }

  const timers: (() => void)[] = [];
  const every = (ms: number, fn: () => void): void => {
    const arm = (): void => { timers.push(clock.setTimer(clock.now() + ms, () => { fn(); arm(); })); };
    arm();
  };

  return {
    get config() { return world.config; },
    get jails() { return world.jails; },
    get notifiers() { return world.notifiers; },
    counters,
    applyCounters: applier.counters,
    dryRun: deps.dryRun === true,
    activeBans: () => [...active.values()],
    whitelisted: (a) => world.whitelist.find(a),
    reload(next) {
      const r = reloading.then(() => reload(next));
      reloading = r.catch(() => {});
      return r;
    },

    async start() {
      if (world.self.length > 0) log.info(`whitelist_self protects this machine's addresses: ${world.self.map((c) => c.text).join(', ')}`);
      if (deps.dryRun) log.info('Dry run: bans are logged and recorded, no action is called');
      const spawner = spawnerInUse();
      if (!spawner.native) log.warn(`Commands start as forks of the daemon (Node's child_process), not through the native spawner: ${spawner.why ?? ''}`);
      // The actions' set-up runs its own processes (nft, ipset): the store is read meanwhile.
      const init = initActions(world);
      init.catch(() => {}); // awaited below: a failure must not count as unhandled while the store is read
      const rows = await persist('read active bans', () => store.activeBans());
      await init;
      await recover(rows ?? []);
      await followSources();
      every(60_000, () => { for (const j of world.jails.values()) j.sweep(clock.now()); });
      every(60_000, () => { void verifyActions(groupByAction([...active.values()], actionsOf), applier, log); });
      every(3_600_000, () => { void persist('prune old records', () => store.prune(clock.now() - world.config.store.retentionMs)); });
      log.info(`Started with ${world.jails.size} jail${world.jails.size === 1 ? '' : 's'}: ${[...world.jails.keys()].join(', ')}`);
    },

    async stop() {
      stopping = true;
      await reloading;
      for (const t of timers) t();
      quiet?.stop();
      schedule.clear();
      await follower.stopAll();
      applier.close();
      for (const a of initialized) {
        const r = await a.close();
        if (!r.ok) log.warn(`Action "${a.name}" did not close cleanly: ${r.error}`);
      }
      await Promise.all([...world.notifiers.values()].map((n) => n.close()));
    },

    async ban(address, jailName, how) {
      const jail = world.jails.get(jailName);
      if (!jail) return { ok: false, error: `Unknown jail "${jailName}"` };
      const wl = world.whitelist.find(address);
      if (wl && !how.force) return { ok: false, error: `${address} is whitelisted (${wl.text}); use --force to ban it anyway` };
      const existing = active.get(jailName, address);
      if (existing) await lift([existing], 'replaced by a manual ban');
      const now = clock.now();
      const previous = (await persist('count previous bans', () => store.banCount(address, jailName, now - world.config.store.retentionMs))) ?? 0;
      const reason = 'manual ban';
      const policy = computeBan({ address, jail: jailName, at: now, reason }, previous, jail.config.ban);
      const until = how.permanent ? null : how.forMs !== undefined ? now + how.forMs : policy.until;
      const ban: Ban = { ...policy, until, reason };
      await applyBan(ban, []);
      return { ok: true, ban };
    },

    async unban(address, jailName, reason = 'manual unban') {
      const bans = [...active.values()].filter((b) => b.address === address && (jailName === undefined || b.jail === jailName));
      for (const j of world.jails.values()) if (jailName === undefined || j.name === jailName) j.forget(address, clock.now());
      await lift(bans, reason);
      return bans;
    },
  };
}
