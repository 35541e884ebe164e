import type { Ban } from '../core/types.js';

/** The outcome of one verb: failures name the bans that were not applied, so only those are retried. */
export type ActionResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: string; readonly failed: readonly Ban[] };

/**
 * A firewall (or other) backend, with sshguard's five verbs. Every verb is idempotent: `ban` of an
 * already-banned address and `unban` of an absent one succeed. Arrays let a restore of 100,000 bans be one
 * batch. An action only ever sees validated {@link Ban}s; it runs commands through `core/exec` (argv, no
 * shell) and never throws: failures come back as values, and the daemon retries them with backoff.
 */
export interface Action {
  readonly name: string;
  readonly type: string;
  /** Creates what is missing and adopts what exists. Called once before any ban. */
  init(): Promise<ActionResult>;
  ban(bans: readonly Ban[]): Promise<ActionResult>;
  /**
   * Optional: makes the backend hold exactly `bans`, at once where it can (the restore at start, which would
   * otherwise re-add every ban one way or another). Without it the daemon uses `ban`. On failure nothing is
   * assumed: the daemon falls back to `ban` with its retries.
   */
  replaceAll?(bans: readonly Ban[]): Promise<ActionResult>;
  unban(bans: readonly Ban[]): Promise<ActionResult>;
  /** Removes every ban this action holds (the store is untouched). */
  flush(): Promise<ActionResult>;
  /** Called at stop. Leaves bans in place unless the action is configured to remove them. */
  close(): Promise<ActionResult>;
  /**
   * Optional periodic check that the backend still holds what it should (someone flushed our table by hand);
   * returns the bans from `expected` that are missing so the daemon re-applies them.
   */
  verify?(expected: readonly Ban[]): Promise<readonly Ban[]>;
}

export const okResult: ActionResult = { ok: true };

export interface ActionDeps {
  readonly log: import('../core/log.js').Logger;
  readonly clock: import('../core/clock.js').Clock;
}
