import type { Cidr } from '../core/cidr.js';

/** Where a value came from, for error messages: `file:line`. */
export interface Loc { readonly file: string; readonly line: number }

export type TrackerConfig =
  | { readonly type: 'window'; readonly maxFailures: number; readonly periodMs: number; readonly maxEntries: number }
  | {
      readonly type: 'ema';
      /** Threshold in failures per second. */
      readonly rate: number;
      readonly alpha: number;
      /** Hits needed before the rate is judged at all. */
      readonly minFailures: number;
      /** Entries idle this long are dropped. */
      readonly expireMs: number;
      readonly maxEntries: number;
    };

export interface BanConfig {
  readonly timeMs: number;
  /** Each repeat ban lasts `factor` times the previous one… */
  readonly factor: number;
  /** …but never longer than this. */
  readonly maxTimeMs: number;
  /** The n-th ban is permanent; 0 = never. */
  readonly permanentAfter: number;
  /** Count previous bans of the address in every jail, not only this one. */
  readonly countAllJails: boolean;
}

export type StoreConfig =
  | { readonly type: 'sqlite'; readonly path: string; readonly retentionMs: number }
  | { readonly type: 'file'; readonly path: string; readonly retentionMs: number }
  | {
      readonly type: 'mysql'; readonly host: string; readonly port: number; readonly user: string;
      readonly password: string; readonly database: string; readonly tablePrefix: string;
      readonly retentionMs: number;
    }
  | {
      readonly type: 'postgres'; readonly host: string; readonly port: number; readonly user: string;
      readonly password: string; readonly database: string; readonly tablePrefix: string;
      readonly retentionMs: number;
    };

/** A source entry; `options` holds the type-specific keys, validated by the source's own factory. */
export interface SourceConfig {
  readonly type: string;
  readonly path?: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly loc: Loc;
}

/** An action or notifier definition: `type` plus its own validated keys. */
export interface PluginConfig {
  readonly name: string;
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly loc: Loc;
}

export interface FilterRef {
  readonly name: string;
  /** Extra rule groups of the filter to enable (e.g. `aggressive`). */
  readonly modes: readonly string[];
  readonly loc: Loc;
}

export interface JailConfig {
  readonly name: string;
  readonly enabled: boolean;
  readonly sources: readonly SourceConfig[];
  readonly filter: FilterRef;
  readonly tracker: TrackerConfig;
  readonly ban: BanConfig;
  readonly actions: readonly string[];
  readonly notifiers: readonly string[];
  /** Use the timestamp inside each line rather than the time it was read (replay of old logs). */
  readonly useLineTime: boolean;
  readonly loc: Loc;
}

export interface Config {
  /** The main config file, absolute. */
  readonly file: string;
  readonly stateDir: string;
  readonly pidfile: string;
  readonly controlSocket: string;
  readonly store: StoreConfig;
  readonly whitelist: readonly Cidr[];
  /** Never ban the machine's own addresses and default gateways. */
  readonly whitelistSelf: boolean;
  readonly maxLineLength: number;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  readonly logFile?: string;
  /** Log to syslog too; unset means: only when `run -d` has no `log.file` (stderr is /dev/null then). */
  readonly logSyslog?: boolean;
  readonly logFacility: string;
  /** Recent hits kept per address in the store (for `why` and e-mail). */
  readonly hitsPerAddress: number;
  /** Folders searched for `filters/NAME.yaml`, in order (config's own, then shipped). */
  readonly filterDirs: readonly string[];
  readonly actions: ReadonlyMap<string, PluginConfig>;
  readonly notifiers: ReadonlyMap<string, PluginConfig>;
  readonly jails: ReadonlyMap<string, JailConfig>;
}

/** One error in a config or filter file. */
export interface ConfigError {
  readonly file: string;
  readonly line: number;
  /** Dotted key path, e.g. `jails.sshd.failregx`. */
  readonly key: string;
  readonly message: string;
}

export const formatConfigError = (e: ConfigError): string => `${e.file}:${e.line}: ${e.key ? `${e.key}: ` : ''}${e.message}`;
