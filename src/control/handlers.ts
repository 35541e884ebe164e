import type { Clock } from '../core/clock.js';
import { parseAddress } from '../core/address.js';
import type { Ban } from '../core/types.js';
import type { Daemon, ReloadOutcome } from '../daemon/daemon.js';
import type { Store } from '../stores/store.js';
import type { BanRow, Reply, Request, StatusResult, WhyResult } from './protocol.js';
import type { Handler } from './server.js';

/** What the control commands reach: the daemon, its store, and the process around it (reload, stop). */
export interface ControlContext {
  readonly daemon: Daemon;
  readonly store: Store;
  readonly clock: Clock;
  readonly version: string;
  readonly configFile: string;
  /** Reads the config file again and reloads; the same path as SIGHUP. */
  reload(): Promise<ReloadOutcome>;
  /** Stops the daemon after the reply has gone out. */
  stop(): void;
}

const row = (b: Ban): BanRow => ({ address: b.address, jail: b.jail, bannedAt: b.bannedAt, until: b.until, count: b.count, reason: b.reason });
const ok = <T>(result: T): Reply<T> => ({ ok: true, result });
const fail = (error: string, details?: readonly string[]): Reply => ({ ok: false, error, ...(details ? { details } : {}) });

export function createHandler(ctx: ControlContext): Handler {
  const { daemon, store } = ctx;
  const jailNames = (): string => [...daemon.jails.keys()].join(', ');

  async function status(): Promise<Reply<StatusResult>> {
    const bans = daemon.activeBans();
    // Counted in one pass: a filter per jail was jails × bans (17 jails, 15,000 bans: a second of a burst
    // asked every 50 ms).
    const bansOf = new Map<string, number>();
    for (const b of bans) bansOf.set(b.jail, (bansOf.get(b.jail) ?? 0) + 1);
    let storeInfo: StatusResult['store'];
    try { storeInfo = { type: store.type, ...(await store.stats()) }; } catch (e) { storeInfo = { type: store.type, error: (e as Error).message }; }
    const c = daemon.counters;
    return ok({
      version: ctx.version, pid: process.pid, configFile: ctx.configFile, startedAt: c.startedAt,
      uptimeMs: ctx.clock.now() - c.startedAt, dryRun: daemon.dryRun,
      counters: { ...c, activeBans: bans.length, ...daemon.applyCounters },
      store: storeInfo,
      jails: [...daemon.jails.values()].map((j) => ({
        name: j.name, filter: j.config.filter.name, activeBans: bansOf.get(j.name) ?? 0,
        tracked: j.tracker.counters.tracked,
        counters: { ...j.counters, evicted: j.tracker.counters.evicted, ignored: j.filter.counters.ignored, overlong: j.filter.counters.overlong },
        sources: j.sources.map((s) => ({ id: s.id, counters: { ...s.counters } })),
        actions: j.actions.map((a) => a.name), notifiers: j.notifiers.map((n) => n.name),
      })),
      notifiers: [...daemon.notifiers.values()].map((n) => ({ name: n.name, ...n.counters })),
    });
  }

  async function why(text: string): Promise<Reply<WhyResult> | Reply> {
    const address = parseAddress(text);
    if (!address) return fail(`Invalid address "${text}"`);
    const history = await store.banHistory(address, 20);
    const stored = await store.recentHits(address, 50);
    const pending = [...daemon.jails.values()].flatMap((j) => j.recentHits(address).map((h) => ({ ...h, pending: true })));
    // The rule as written (`failregex[0]: …`) reads better than the expanded regex it runs as.
    const ruleOf = (jail: string, rule: number | undefined): string | null => {
      const filter = rule === undefined ? undefined : daemon.jails.get(jail)?.filter;
      if (!filter || rule === undefined) return null;
      const info = filter.ruleInfo?.[rule];
      return info ? `${info.key}: ${info.text}` : filter.rules[rule] ?? null;
    };
    return ok({
      address,
      whitelisted: daemon.whitelisted(address)?.text ?? null,
      active: daemon.activeBans().filter((b) => b.address === address).map(row),
      history: history.map((b) => ({ ...row(b), liftedAt: b.liftedAt, liftReason: b.liftReason })),
      hits: [...pending, ...stored.map((h) => ({ ...h, pending: false }))]
        .sort((a, b) => b.at - a.at)
        .map((h) => ({ jail: h.jail, at: h.at, line: h.line, rule: ruleOf(h.jail, h.rule), pending: h.pending })),
    });
  }

  async function unban(req: Extract<Request, { command: 'unban' }>): Promise<Reply> {
    const address = parseAddress(req.address);
    if (!address) return fail(`Invalid address "${req.address}"`);
    if (req.jail !== undefined && !daemon.jails.has(req.jail)) return fail(`Unknown jail "${req.jail}" (jails: ${jailNames()})`);
    let jail = req.jail;
    if (jail === undefined && !req.allJails) {
      const where = [...new Set(daemon.activeBans().filter((b) => b.address === address).map((b) => b.jail))];
      if (where.length > 1) return fail(`${address} is banned in jails ${where.join(', ')}: name one with --jail, or use --all-jails`);
      jail = where[0];
    }
    const lifted = await daemon.unban(address, jail);
    if (lifted.length === 0 && !req.allJails) {
      return fail(`${address} is not banned${req.jail ? ` in jail "${req.jail}"` : ''} (its recorded failures were forgotten)`);
    }
    return ok({ lifted: lifted.map(row) });
  }

  return async (req) => {
    switch (req.command) {
      case 'status': return status();
      case 'bans': {
        if (req.jail !== undefined && !daemon.jails.has(req.jail)) return fail(`Unknown jail "${req.jail}" (jails: ${jailNames()})`);
        return ok(daemon.activeBans().filter((b) => req.jail === undefined || b.jail === req.jail).sort((a, b) => a.bannedAt - b.bannedAt).map(row));
      }
      case 'ban': {
        const address = parseAddress(req.address);
        if (!address) return fail(`Invalid address "${req.address}"`);
        const jail = req.jail ?? (daemon.jails.size === 1 ? [...daemon.jails.keys()][0] : undefined);
        if (jail === undefined) return fail(`Name the jail with --jail (jails: ${jailNames()})`);
        const r = await daemon.ban(address, jail, { ...(req.forMs !== undefined ? { forMs: req.forMs } : {}), permanent: req.permanent === true, force: req.force === true });
        return r.ok ? ok(row(r.ban)) : fail(r.error);
      }
      case 'unban': return unban(req);
      case 'why': return why(req.address);
      case 'reload': {
        const r = await ctx.reload();
        return r.ok ? ok(r.summary) : fail('The new configuration was rejected; the running one is unchanged', r.errors);
      }
      case 'stop':
        setTimeout(() => ctx.stop(), 10);
        return ok({ pid: process.pid });
    }
  };
}
