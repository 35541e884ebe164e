import type { Action } from '../actions/action.js';
import { createAction, type ActionType } from '../actions/index.js';
import type { Config, SourceConfig } from '../config/types.js';
import type { Address } from '../core/address.js';
import { createCidrSet, parseCidr, type Cidr, type CidrSet } from '../core/cidr.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Ban, Hit, Offence } from '../core/types.js';
import { compileFilter } from '../filters/compile.js';
import { findFilter, loadFilterFile } from '../filters/load.js';
import { createNotifier } from '../notifiers/index.js';
import type { Notifier } from '../notifiers/notifier.js';
import type { NotifierType } from '../notifiers/options.js';
import { createSource } from '../sources/index.js';
import { withExtraLineTime } from '../sources/line-time-extra.js';
import type { PositionStore, Source } from '../sources/source.js';
import { createTracker } from '../trackers/index.js';
import { createJail, type Jail } from './jail.js';
import type { JailBans } from './active-bans.js';
import { sameConfig, sameList } from './same.js';

/**
 * Everything the daemon builds from one config: actions, notifiers, whitelist and jails. A reload builds the
 * next world from the previous one, reusing every part whose config did not change, so an unchanged jail
 * keeps its tracker state, a jail whose tracker config is unchanged keeps its counts, and sources whose config
 * is unchanged keep following their files without a pause. Jails with the same source entry share the source.
 */
export interface World {
  readonly config: Config;
  readonly whitelist: CidrSet;
  /** This machine's own addresses, when `whitelist_self` is on. */
  readonly self: readonly Cidr[];
  readonly actions: ReadonlyMap<string, Action>;
  readonly notifiers: ReadonlyMap<string, Notifier>;
  readonly jails: ReadonlyMap<string, Jail>;
  /** Per jail, the filter definition it was compiled from, to tell whether a reload changed it. */
  readonly filterKeys: ReadonlyMap<string, string>;
  /**
   * Every source, by its config ({@link sourceKey}): jails whose source entries are the same share one
   * reader, so a file is read (and its position kept) once however many jails watch it.
   */
  readonly sources: ReadonlyMap<string, Source>;
}

/** What makes two source entries one source: everything but where they were written, and the line cap. */
const sourceKey = (sc: SourceConfig, maxLineLength: number): string =>
  JSON.stringify([sc.type, sc.path ?? null, sc.options, maxLineLength]);

export interface WorldDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly positions: PositionStore;
  readonly hostname: string;
  readonly selfAddresses: () => Address[];
  /** Tests inject notifiers; then the config's notifier definitions are not built. */
  readonly notifiers?: ReadonlyMap<string, Notifier>;
  /** What every jail sees as the whitelist: the daemon's current one, whichever world is live. */
  readonly whitelist: CidrSet;
  /** The bans in force in one jail (daemon/active-bans.ts). */
  readonly bansOf: (jail: string) => JailBans;
  readonly onOffence: (offence: Offence, hits: Hit[]) => void;
}

/**
 * Builds a world; throws on what the config check cannot see. What it built by then holds nothing that needs
 * closing: actions do nothing before `init`, notifiers nothing before their first notice.
 */
export function buildWorld(config: Config, deps: WorldDeps, previous?: World): World {
  const { clock, log } = deps;
  const self: Cidr[] = [];
  if (config.whitelistSelf) for (const a of deps.selfAddresses()) { const c = parseCidr(a); if (c) self.push(c); }

  const actions = new Map<string, Action>();
  for (const [name, def] of config.actions) {
    const old = previous?.actions.get(name);
    const same = old && sameConfig(previous?.config.actions.get(name), def);
    actions.set(name, same ? old : createAction(def.type as ActionType, name, def.options, { clock, log }));
  }
  const notifiers = new Map<string, Notifier>(deps.notifiers ?? []);
  if (!deps.notifiers) {
    for (const [name, def] of config.notifiers) {
      const old = previous?.notifiers.get(name);
      const same = old && sameConfig(previous?.config.notifiers.get(name), def);
      notifiers.set(name, same ? old : createNotifier(def.type as NotifierType, name, def.options, { clock, log, hostname: deps.hostname }));
    }
  }

  const jails = new Map<string, Jail>();
  const filterKeys = new Map<string, string>();
  const sources = new Map<string, Source>();
  // Kept from the previous world when its config is unchanged: it keeps following its files without a pause.
  const sourcesOf = (jail: string, configs: readonly SourceConfig[]): Source[] => [...new Set(configs.map((sc) => {
    const key = sourceKey(sc, config.maxLineLength);
    let s = sources.get(key) ?? previous?.sources.get(key);
    if (!s) {
      const made = createSource(sc, { clock, log, positions: deps.positions, maxLineLength: config.maxLineLength });
      if (!made.ok) throw new Error(`Cannot create source for jail "${jail}": ${made.error}`);
      s = made.value;
    }
    sources.set(key, s);
    return s;
  }))];
  for (const jc of config.jails.values()) {
    if (!jc.enabled) continue;
    const file = findFilter(jc.filter.name, config.filterDirs);
    const def = file.ok ? loadFilterFile(file.value) : undefined;
    if (!def || !def.ok) throw new Error(`Cannot load filter "${jc.filter.name}" for jail "${jc.name}"`);
    // Maps (the filter's modes) as their entries: JSON.stringify writes a Map as {}, and a reload that only
    // edited a mode's rules kept the old compiled filter.
    const filterKey = JSON.stringify([def.value, jc.filter.modes, config.maxLineLength, jc.useLineTime], (_k, v: unknown) => (v instanceof Map ? [...v] : v));
    filterKeys.set(jc.name, filterKey);
    const jailActions = jc.actions.map((n) => actions.get(n)).filter((a): a is Action => a !== undefined);
    const jailNotifiers = jc.notifiers.map((n) => notifiers.get(n)).filter((n): n is Notifier => n !== undefined);
    const old = previous?.jails.get(jc.name);
    const sameFilter = old !== undefined && previous?.filterKeys.get(jc.name) === filterKey;
    if (old && sameFilter && sameConfig(old.config, jc) && sameList(old.actions, jailActions) && sameList(old.notifiers, jailNotifiers)
      && previous?.config.hitsPerAddress === config.hitsPerAddress) {
      sourcesOf(jc.name, jc.sources);
      jails.set(jc.name, old);
      continue;
    }
    let filter = sameFilter ? old.filter : undefined;
    if (!filter) {
      const compiled = compileFilter(def.value, { modes: jc.filter.modes, maxLineLength: config.maxLineLength, withTime: jc.useLineTime, clock });
      if (!compiled.ok) throw new Error(`Cannot compile filter "${jc.filter.name}": ${compiled.error}`);
      // Replays time failures by their lines: web server formats too (line-time-extra.ts).
      filter = jc.useLineTime ? withExtraLineTime(compiled.value) : compiled.value;
    }
    const sources = sourcesOf(jc.name, jc.sources);
    jails.set(jc.name, createJail({
      config: jc, filter, sources, actions: jailActions, notifiers: jailNotifiers,
      tracker: old && sameConfig(old.config.tracker, jc.tracker) ? old.tracker : createTracker(jc.tracker, { clock }),
      whitelist: deps.whitelist, hitsPerAddress: config.hitsPerAddress,
      ...deps.bansOf(jc.name),
      onOffence: deps.onOffence,
    }));
  }
  return { config, whitelist: createCidrSet([...config.whitelist, ...self]), self, actions, notifiers, jails, filterKeys, sources };
}

/** Parts of `previous` that `next` no longer uses, to be closed once the switch is done. */
export function leftovers(previous: World, next: World): { actions: Action[]; notifiers: Notifier[] } {
  const keptActions = new Set(next.actions.values());
  const keptNotifiers = new Set(next.notifiers.values());
  return {
    actions: [...previous.actions.values()].filter((a) => !keptActions.has(a)),
    notifiers: [...previous.notifiers.values()].filter((n) => !keptNotifiers.has(n)),
  };
}

/** The actions that enabled jails use: those are initialised at start (or when a reload brings them in). */
export const usedActions = (w: World): Set<Action> => new Set([...w.jails.values()].flatMap((j) => j.actions));

/**
 * What a switch of worlds means for the firewall: each active ban goes to the actions its jail gained and
 * leaves those it lost. `actionsOf` answers for one world (empty in a dry run, or for a jail that is gone).
 */
export function banMoves(bans: readonly Ban[], before: (jail: string) => readonly Action[], after: (jail: string) => readonly Action[]):
  { ban: Map<Action, Ban[]>; unban: Map<Action, Ban[]> } {
  const ban = new Map<Action, Ban[]>(), unban = new Map<Action, Ban[]>();
  const add = (m: Map<Action, Ban[]>, a: Action, b: Ban): void => { const l = m.get(a); if (l) l.push(b); else m.set(a, [b]); };
  for (const b of bans) {
    const was = before(b.jail), now = after(b.jail);
    for (const a of now) if (!was.includes(a)) add(ban, a, b);
    for (const a of was) if (!now.includes(a)) add(unban, a, b);
  }
  return { ban, unban };
}

/** Keys whose change a reload cannot apply: they need a restart (the daemon keeps the old value). */
export function restartKeys(a: Config, b: Config): string[] {
  const out: string[] = [];
  if (a.stateDir !== b.stateDir) out.push('state_dir');
  if (a.pidfile !== b.pidfile) out.push('pidfile');
  if (a.controlSocket !== b.controlSocket) out.push('control.socket');
  if (!sameConfig(a.store, b.store)) out.push('store');
  return out;
}
