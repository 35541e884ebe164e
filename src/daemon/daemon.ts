import { hostname } from 'node:os';
import type { Action } from '../actions/action.js';
import { createAction, type ActionType } from '../actions/index.js';
import { computeBan } from '../bans/policy.js';
import { createUnbanSchedule, type UnbanSchedule } from '../bans/schedule.js';
import type { Config, JailConfig } from '../config/types.js';
import type { Address } from '../core/address.js';
import { createCidrSet, parseCidr, type Cidr, type CidrSet } from '../core/cidr.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { banKey, type Ban, type Hit, type Offence } from '../core/types.js';
import { compileFilter } from '../filters/compile.js';
import { findFilter, loadFilterFile } from '../filters/load.js';
import type { Notifier, NoticeEvent } from '../notifiers/notifier.js';
import { createSource } from '../sources/index.js';
import type { Store } from '../stores/store.js';
import { createTracker } from '../trackers/index.js';
import { createApplier, groupByAction } from './apply.js';
import { createJail, type Jail } from './jail.js';
import { selfAddresses } from './self-addresses.js';

export interface DaemonDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: Store;
  /** Log what would be banned and call no action. */
  readonly dryRun?: boolean;
  /** Injected for tests; defaults to the machine's own addresses and gateways. */
  readonly selfAddresses?: () => Address[];
  readonly notifiers?: ReadonlyMap<string, Notifier>;
}

export interface ManualBan { readonly forMs?: number; readonly permanent?: boolean; readonly force?: boolean }

export interface DaemonCounters {
  bans: number; unbans: number; storeErrors: number; startedAt: number; restored: number; expiredWhileDown: number;
}

export interface Daemon {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly jails: ReadonlyMap<string, Jail>;
  readonly counters: DaemonCounters;
  activeBans(): Ban[];
  ban(address: Address, jail: string, how: ManualBan): Promise<{ ok: true; ban: Ban } | { ok: false; error: string }>;
  unban(address: Address, jail: string | undefined, reason?: string): Promise<Ban[]>;
  whitelisted(address: Address): Cidr | undefined;
  readonly config: Config;
}

/** Builds the whole pipeline from a validated config. Throws only for what the config check cannot see. */
export function createDaemon(config: Config, deps: DaemonDeps): Daemon {
  const { clock, log, store } = deps;
  const counters: DaemonCounters = { bans: 0, unbans: 0, storeErrors: 0, startedAt: clock.now(), restored: 0, expiredWhileDown: 0 };
  const active = new Map<string, Ban>();
  const pending = new Set<string>();
  const origin = hostname();

  const self: Cidr[] = [];
  if (config.whitelistSelf) {
    for (const a of (deps.selfAddresses ?? selfAddresses)()) { const c = parseCidr(a); if (c) self.push(c); }
  }
  const whitelist: CidrSet = createCidrSet([...config.whitelist, ...self]);

  const actions = new Map<string, Action>();
  for (const [name, def] of config.actions) {
    actions.set(name, createAction(def.type as ActionType, name, def.options, { clock, log }));
  }
  const notifiers = deps.notifiers ?? new Map<string, Notifier>();

  const applier = createApplier({ clock, log, isActive: (b) => active.get(banKey(b.jail, b.address))?.bannedAt === b.bannedAt });
  const schedule: UnbanSchedule = createUnbanSchedule(clock, (due) => { void expire(due); });

  const jails = new Map<string, Jail>();
  for (const jc of config.jails.values()) if (jc.enabled) jails.set(jc.name, buildJail(jc));

  function buildJail(jc: JailConfig): Jail {
    const file = findFilter(jc.filter.name, config.filterDirs);
    const def = file.ok ? loadFilterFile(file.value) : undefined;
    if (!def || !def.ok) throw new Error(`Cannot load filter "${jc.filter.name}" for jail "${jc.name}"`);
    const filter = compileFilter(def.value, { modes: jc.filter.modes, maxLineLength: config.maxLineLength, withTime: jc.useLineTime, clock });
    if (!filter.ok) throw new Error(`Cannot compile filter "${jc.filter.name}": ${filter.error}`);
    const sources = jc.sources.map((sc) => {
      const s = createSource(sc, { clock, log, positions: store, maxLineLength: config.maxLineLength });
      if (!s.ok) throw new Error(`Cannot create source for jail "${jc.name}": ${s.error}`);
      return s.value;
    });
    return createJail({
      config: jc, filter: filter.value, tracker: createTracker(jc.tracker, { clock }), sources,
      actions: jc.actions.map((n) => actions.get(n)).filter((a): a is Action => a !== undefined),
      notifiers: jc.notifiers.map((n) => notifiers.get(n)).filter((n): n is Notifier => n !== undefined),
      whitelist, hitsPerAddress: config.hitsPerAddress,
      isBanned: (a) => active.has(banKey(jc.name, a)),
      onOffence: (o, hits) => { void banOffence(o, hits); },
    });
  }

  const actionsOf = (jail: string): readonly Action[] => (deps.dryRun ? [] : jails.get(jail)?.actions ?? []);
  const notify = (jail: string, event: NoticeEvent): void => {
    for (const n of jails.get(jail)?.notifiers ?? []) {
      try { n.notify(event); } catch (e) { log.warn(`Notifier "${n.name}" failed: ${(e as Error).message}`); }
    }
  };

  /** An address may be banned in several jails that share an action: lift it there only when none is left. */
  const stillHeld = (action: Action, address: Address): boolean => {
    for (const b of active.values()) {
      if (b.address === address && jails.get(b.jail)?.actions.includes(action)) return true;
    }
    return false;
  };

  async function persist<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try { return await fn(); } catch (e) {
      counters.storeErrors++;
      log.error(`Cannot ${what} in the ${store.type} store: ${(e as Error).message}`);
      return undefined;
    }
  }

  async function applyBan(ban: Ban, hits: readonly Hit[]): Promise<void> {
    const key = banKey(ban.jail, ban.address);
    // Persist first: a crash after this line is repaired at the next start, which re-applies active bans.
    await persist('record the ban', () => store.addBan(ban, origin));
    if (hits.length > 0) await persist('record hits', () => store.addHits(hits, config.hitsPerAddress));
    active.set(key, ban);
    counters.bans++;
    schedule.add(ban);
    log.info(`${deps.dryRun ? 'Would ban' : 'Ban'} ${ban.address}`, {
      jail: ban.jail, until: ban.until === null ? 'permanent' : new Date(ban.until).toISOString(), count: ban.count, reason: ban.reason,
    });
    await Promise.all(actionsOf(ban.jail).map((a) => applier.ban(a, [ban])));
    notify(ban.jail, { kind: 'ban', ban, hits });
  }

  async function banOffence(o: Offence, hits: Hit[]): Promise<void> {
    const key = banKey(o.jail, o.address);
    if (active.has(key) || pending.has(key)) return;
    const jail = jails.get(o.jail);
    if (!jail) return;
    pending.add(key);
    try {
      const cfg = jail.config.ban;
      const since = clock.now() - store_retention();
      const previous = (await persist('count previous bans', () => store.banCount(o.address, cfg.countAllJails ? undefined : o.jail, since))) ?? 0;
      // The ban starts now even when the failures were timed by their lines (a replayed old log).
      await applyBan(computeBan({ ...o, at: clock.now() }, previous, cfg), hits);
    } finally {
      pending.delete(key);
    }
  }

  const store_retention = (): number => config.store.retentionMs;

  async function lift(bans: readonly Ban[], reason: string): Promise<void> {
    const lifted: Ban[] = [];
    for (const b of bans) {
      const key = banKey(b.jail, b.address);
      const current = active.get(key);
      if (current && current.bannedAt !== b.bannedAt) continue; // re-banned since: not this one
      active.delete(key);
      schedule.remove(b.jail, b.address);
      await persist('lift the ban', () => store.liftBan(b.jail, b.address, clock.now(), reason));
      lifted.push(b);
      counters.unbans++;
      log.info(`Unban ${b.address}`, { jail: b.jail, reason });
    }
    for (const [action, list] of groupByAction(lifted, actionsOf)) {
      const free = list.filter((b) => !stillHeld(action, b.address));
      if (free.length > 0) await applier.unban(action, free);
    }
    for (const b of lifted) notify(b.jail, { kind: 'unban', ban: b, reason });
  }

  const expire = (due: Ban[]): Promise<void> => lift(due, 'expired');

  async function recover(): Promise<void> {
    const rows = (await persist('read active bans', () => store.activeBans())) ?? [];
    const now = clock.now();
    const expired: Ban[] = [], keep: Ban[] = [];
    for (const b of rows) {
      if (!jails.has(b.jail)) {
        log.warn(`Ban of ${b.address} belongs to jail "${b.jail}", which is not configured: lifting it`);
        await persist('lift the ban', () => store.liftBan(b.jail, b.address, now, 'jail removed'));
        continue;
      }
      (b.until !== null && b.until <= now ? expired : keep).push(b);
    }
    for (const b of keep) { active.set(banKey(b.jail, b.address), b); schedule.add(b); }
    counters.restored = keep.length;
    counters.expiredWhileDown = expired.length;
    // Re-apply everything in one batch per action; lift in the firewall what expired while we were down.
    await Promise.all([...groupByAction(keep, actionsOf)].map(([a, list]) => applier.ban(a, list)));
    for (const b of expired) active.set(banKey(b.jail, b.address), b);
    await lift(expired, 'expired while stopped');
    if (keep.length + expired.length > 0) log.info(`Restored ${keep.length} active bans, lifted ${expired.length} that expired while stopped`);
  }

  const abort = new AbortController();
  const timers: (() => void)[] = [];
  const every = (ms: number, fn: () => void): void => {
    const arm = (): void => { timers.push(clock.setTimer(clock.now() + ms, () => { fn(); arm(); })); };
    arm();
  };

  return {
    config, jails, counters,
    activeBans: () => [...active.values()],
    whitelisted: (a) => whitelist.find(a),

    async start() {
      if (self.length > 0) log.info(`whitelist_self protects this machine's addresses: ${self.map((c) => c.text).join(', ')}`);
      if (deps.dryRun) log.info('Dry run: bans are logged and recorded, no action is called');
      for (const a of new Set([...jails.values()].flatMap((j) => j.actions))) {
        if (deps.dryRun) break;
        const r = await a.init();
        if (!r.ok) throw new Error(`Cannot start action "${a.name}" (${a.type}): ${r.error}`);
      }
      await recover();
      for (const j of jails.values()) {
        for (const s of j.sources) await s.start((lines) => j.handle(lines), abort.signal);
      }
      every(60_000, () => { for (const j of jails.values()) j.tracker.sweep(clock.now()); });
      every(3_600_000, () => { void persist('prune old records', () => store.prune(clock.now() - store_retention())); });
      log.info(`Started with ${jails.size} jail${jails.size === 1 ? '' : 's'}: ${[...jails.keys()].join(', ')}`);
    },

    async stop() {
      abort.abort();
      for (const t of timers) t();
      schedule.clear();
      await Promise.all([...jails.values()].flatMap((j) => j.sources.map((s) => s.stopped())));
      applier.close();
      for (const a of new Set([...jails.values()].flatMap((j) => j.actions))) {
        const r = await a.close();
        if (!r.ok) log.warn(`Action "${a.name}" did not close cleanly: ${r.error}`);
      }
      await Promise.all([...notifiers.values()].map((n) => n.close()));
    },

    async ban(address, jailName, how) {
      const jail = jails.get(jailName);
      if (!jail) return { ok: false, error: `Unknown jail "${jailName}"` };
      const wl = whitelist.find(address);
      if (wl && !how.force) return { ok: false, error: `${address} is whitelisted (${wl.text}); use --force to ban it anyway` };
      const key = banKey(jailName, address);
      const existing = active.get(key);
      if (existing) await lift([existing], 'replaced by a manual ban');
      const now = clock.now();
      const previous = (await persist('count previous bans', () => store.banCount(address, jailName, now - store_retention()))) ?? 0;
      const reason = 'manual ban';
      const policy = computeBan({ address, jail: jailName, at: now, reason }, previous, jail.config.ban);
      const until = how.permanent ? null : how.forMs !== undefined ? now + how.forMs : policy.until;
      const ban: Ban = { ...policy, until, reason };
      await applyBan(ban, []);
      return { ok: true, ban };
    },

    async unban(address, jailName, reason = 'manual unban') {
      const bans = [...active.values()].filter((b) => b.address === address && (jailName === undefined || b.jail === jailName));
      for (const j of jails.values()) if (jailName === undefined || j.name === jailName) j.forget(address, clock.now());
      await lift(bans, reason);
      return bans;
    },
  };
}
