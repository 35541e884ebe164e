import type { Action, ActionResult } from '../actions/action.js';
import type { Cancel, Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Ban } from '../core/types.js';

export interface ApplyCounters { applied: number; failed: number; retries: number }

/**
 * The one place that calls actions. A verb that fails is logged, counted and retried with exponential
 * backoff (1 s doubling to 5 min) for the bans it names, for as long as the ban still wants that state in
 * that action: a ban lifted meanwhile (or whose jail no longer uses the action) is not re-applied, an unban
 * re-banned meanwhile is not retried. The ban stays recorded in the store whatever an action does.
 */
export interface Applier {
  ban(action: Action, bans: readonly Ban[]): Promise<void>;
  unban(action: Action, bans: readonly Ban[]): Promise<void>;
  /**
   * Makes `action` hold exactly `bans` in one step (Action.replaceAll: the restore at start), so what it held
   * that the store no longer has goes too. Where it cannot, or that fails, the bans go in as `ban` sends them.
   */
  replaceAll(action: Action, bans: readonly Ban[]): Promise<void>;
  /** Retries still waiting, per action name. */
  pending(): number;
  readonly counters: ApplyCounters;
  close(): void;
}

/** An action's verb as a result: one that throws (which the contract forbids) fails for every ban it was given. */
async function outcomeOf(verb: () => Promise<ActionResult>, bans: readonly Ban[]): Promise<ActionResult> {
  try { return await verb(); } catch (e) { return { ok: false, error: `action threw: ${(e as Error).message}`, failed: bans }; }
}

export function createApplier(deps: {
  clock: Clock; log: Logger;
  /**
   * Whether `ban` should be in `action` now: it is active and its jail uses the action. `ban` runs only for
   * bans that want the action, `unban` only for those that do not (lifted, or moved elsewhere by a reload).
   */
  wants: (ban: Ban, action: Action) => boolean;
  maxBackoffMs?: number;
}): Applier {
  const counters: ApplyCounters = { applied: 0, failed: 0, retries: 0 };
  const timers = new Set<Cancel>();
  const maxBackoff = deps.maxBackoffMs ?? 300_000;

  const run = async (verb: 'ban' | 'unban', action: Action, bans: readonly Ban[], attempt: number): Promise<void> => {
    const wanted = bans.filter((b) => deps.wants(b, action) === (verb === 'ban'));
    if (wanted.length === 0) return;
    const r = await outcomeOf(() => action[verb](wanted), wanted);
    if (r.ok) { counters.applied += wanted.length; return; }
    const failed = r.failed.length > 0 ? r.failed : wanted;
    counters.failed += failed.length;
    counters.applied += wanted.length - failed.length;
    const delay = Math.min(maxBackoff, 1000 * 2 ** Math.min(attempt, 20));
    deps.log.error(`Cannot ${verb} ${failed.length === 1 ? failed[0]?.address : `${failed.length} addresses`} with action "${action.name}": ${r.error}`,
      { action: action.name, retry_in_ms: delay, attempt: attempt + 1 });
    const cancel = deps.clock.setTimer(deps.clock.now() + delay, () => {
      timers.delete(cancel);
      counters.retries++;
      void run(verb, action, failed, attempt + 1);
    });
    timers.add(cancel);
  };

  return {
    counters,
    ban: (action, bans) => run('ban', action, bans, 0),
    unban: (action, bans) => run('unban', action, bans, 0),
    async replaceAll(action, bans) {
      const wanted = bans.filter((b) => deps.wants(b, action));
      if (action.replaceAll !== undefined) {
        const replaceAll = action.replaceAll.bind(action);
        const r = await outcomeOf(() => replaceAll(wanted), wanted);
        if (r.ok) { counters.applied += wanted.length; return; }
        deps.log.warn(`Action "${action.name}" could not take ${wanted.length} bans in one step (${r.error}); adding them as bans`, { action: action.name });
      }
      await run('ban', action, wanted, 0);
    },
    pending: () => timers.size,
    close: () => { for (const t of timers) t(); timers.clear(); },
  };
}

/** Groups bans by the actions of their jails, so every action gets one batch. */
export function groupByAction(bans: readonly Ban[], actionsOf: (jail: string) => readonly Action[]): Map<Action, Ban[]> {
  const out = new Map<Action, Ban[]>();
  for (const b of bans) {
    for (const a of actionsOf(b.jail)) {
      let list = out.get(a);
      if (!list) out.set(a, (list = []));
      list.push(b);
    }
  }
  return out;
}


/**
 * Asks every action that can check its backend whether it still holds the bans it should (someone may have
 * flushed our table or chain by hand) and re-applies what is missing through the applier.
 */
export async function verifyActions(groups: Map<Action, Ban[]>, applier: Applier, log: Logger): Promise<void> {
  for (const [action, expected] of groups) {
    if (!action.verify) continue;
    try {
      const missing = await action.verify(expected);
      if (missing.length === 0) continue;
      log.warn(`Action "${action.name}" lost ${missing.length} ban${missing.length === 1 ? '' : 's'} (flushed by hand?): re-applying`);
      await applier.ban(action, missing);
    } catch (e) {
      log.warn(`Cannot verify action "${action.name}": ${(e as Error).message}`);
    }
  }
}
