import type { Config } from '../config/types.js';
import type { Address } from '../core/address.js';
import type { Cidr } from '../core/cidr.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Ban } from '../core/types.js';
import type { Notifier } from '../notifiers/notifier.js';
import type { Store } from '../stores/store.js';
import type { ApplyCounters } from './apply.js';
import type { Jail } from './jail.js';

export interface DaemonDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: Store;
  /** Log what would be banned and call no action. */
  readonly dryRun?: boolean;
  /** Injected for tests; defaults to the machine's own addresses and gateways. */
  readonly selfAddresses?: () => Address[];
  /** Injected for tests; by default the daemon builds the notifiers the config defines. */
  readonly notifiers?: ReadonlyMap<string, Notifier>;
  /** Called when the sources have delivered no line for a moment after delivering some (see quiet.ts). */
  readonly onQuiet?: () => void;
}

export interface ManualBan { readonly forMs?: number; readonly permanent?: boolean; readonly force?: boolean }

export interface DaemonCounters {
  bans: number; unbans: number; storeErrors: number; startedAt: number; restored: number; expiredWhileDown: number; reloads: number;
}

/** What a reload changed, for the log and the `reload` command. */
export interface ReloadSummary {
  readonly added: string[]; readonly removed: string[]; readonly changed: string[]; readonly kept: string[];
  /** Keys that changed but need a restart; the daemon goes on with their old values. */
  readonly needRestart: string[];
}
export type ReloadOutcome = { ok: true; summary: ReloadSummary } | { ok: false; errors: string[] };

export interface Daemon {
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Switches to `config`: parts whose config is unchanged are kept (an unchanged jail keeps its tracker
   * state), the rest is rebuilt, and active bans move to the actions their jails now use; bans of jails that
   * are gone are lifted. A failure (an action that cannot start) leaves the running config untouched.
   * Reloads run one at a time.
   */
  reload(config: Config): Promise<ReloadOutcome>;
  readonly jails: ReadonlyMap<string, Jail>;
  readonly notifiers: ReadonlyMap<string, Notifier>;
  readonly counters: DaemonCounters;
  readonly applyCounters: ApplyCounters;
  activeBans(): Ban[];
  ban(address: Address, jail: string, how: ManualBan): Promise<{ ok: true; ban: Ban } | { ok: false; error: string }>;
  unban(address: Address, jail: string | undefined, reason?: string): Promise<Ban[]>;
  whitelisted(address: Address): Cidr | undefined;
  readonly config: Config;
  readonly dryRun: boolean;
}
