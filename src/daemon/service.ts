import { mkdirSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { formatConfigError, type Config } from '../config/types.js';
import { realClock } from '../core/clock.js';
import { createHandler } from '../control/handlers.js';
import { startControlServer, type ControlServer } from '../control/server.js';
import { openStore } from '../stores/index.js';
import type { Store } from '../stores/store.js';
import { createDaemon, type Daemon, type ReloadOutcome } from './daemon.js';
import { compactIdleHeap, endStartup, settleDaemonHeap } from './v8-flags.js';
import type { LogOutput, LogSettings } from './logging.js';
import { claimPidfileWaiting, releasePidfile } from './pidfile.js';

export interface ServiceOptions {
  /** Absolute: after -d the daemon runs in "/". */
  readonly configFile: string;
  readonly config: Config;
  readonly pidfile: string;
  readonly debug: boolean;
  readonly dryRun: boolean;
  /** Running as the child of `run -d`: no parent to watch, stderr is /dev/null or the log file. */
  readonly detached: boolean;
  readonly log: LogOutput;
  readonly version: string;
  /**
   * The process that started the daemon, read as early as can be (bin/dictdefence.js): read once up, a parent
   * killed meanwhile was already gone, PID 1 was read instead, and nothing was watched.
   */
  readonly parent: number;
  /**
   * Runs once the pidfile is ours and before the store opens (`run --recover` moves a damaged store aside):
   * never while another daemon may be using the store.
   */
  readonly prepareStore?: () => Promise<{ readonly ok: true } | { readonly ok: false; readonly error: string }>;
  /** Called once: with no argument when the daemon is up (pidfile written, socket listening), else the error. */
  readonly onStarted?: (error?: string) => void;
}

/** The log targets a config asks for; without `log.syslog`, a detached daemon with no log file uses syslog. */
export function logSettings(config: Config, o: { debug: boolean; detached: boolean }): LogSettings {
  return {
    level: o.debug ? 'debug' : config.logLevel,
    ...(config.logFile ? { file: config.logFile } : {}),
    syslog: config.logSyslog ?? (o.detached && !config.logFile),
    facility: config.logFacility,
    stderr: !o.detached,
  };
}

/**
 * The daemon process from claiming the pidfile to releasing it: store, pipeline, control socket, signals.
 * SIGTERM and SIGINT stop cleanly (sources save their positions, actions close, the store is closed; bans stay
 * recorded and, unless an action is set to remove them, in the firewall). SIGHUP reloads the config file: a
 * broken one is logged with every error and the running config stays. SIGUSR1 reopens the log file.
 * Resolves with the exit code.
 */
/**
 * How often a daemon in the foreground looks whether the process that started it still lives, or `undefined`
 * when that is init (PID 1, systemd's service manager among them), which outlives it: the look woke an idle
 * daemon ten times a second, two thirds of its idle CPU time (measured: 100 against 40 ms in 30 s). Once a
 * second, a shell or supervisor killed with -9 leaves the daemon running for at most that long.
 */
export const parentWatchMs = (parent: number): number | undefined => (parent > 1 ? 1000 : undefined);

export async function runService(o: ServiceOptions): Promise<number> {
  const { parent } = o;
  const log = o.log.logger;
  let started = false;
  const report = (error?: string): void => { if (!started) { started = true; o.onStarted?.(error); } };
  const refuse = (error: string): number => { log.error(error); report(error); return 1; };

  try { mkdirSync(o.config.stateDir, { recursive: true, mode: 0o700 }); } catch (e) {
    return refuse(`Cannot create state_dir "${o.config.stateDir}": ${(e as Error).message}`);
  }
  const claimed = await claimPidfileWaiting(o.pidfile, 3000);
  if (!claimed.ok) return refuse(claimed.error);
  const prepared = await o.prepareStore?.();
  if (prepared && !prepared.ok) { releasePidfile(o.pidfile); return refuse(prepared.error); }

  let store: Store | undefined;
  let daemon: Daemon | undefined;
  let control: ControlServer | undefined;
  const cleanUp = async (): Promise<void> => {
    await control?.close().catch(() => {});
    try { await daemon?.stop(); } catch (e) { log.error(`Error while stopping: ${(e as Error).message}`); }
    await store?.close().catch(() => {});
    releasePidfile(o.pidfile);
  };

  let stop: (why: string) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    stop = (why) => {
      if (stopping) return;
      stopping = true;
      log.info(`Stopping on ${why}`);
      void cleanUp().then(() => { log.info('Stopped'); resolve(0); });
    };
  });

  const reloadFromFile = async (): Promise<ReloadOutcome> => {
    const loaded = loadConfig(o.configFile);
    if (!loaded.ok) {
      const errors = loaded.errors.map(formatConfigError);
      log.error(`Reload rejected: ${errors.length} error${errors.length === 1 ? '' : 's'} in the configuration; the running configuration is unchanged`);
      for (const e of errors) log.error(e);
      return { ok: false, errors };
    }
    if (!daemon) return { ok: false, errors: ['The daemon is not running yet'] };
    const r = await daemon.reload(loaded.config);
    if (!r.ok) {
      log.error(`Reload failed; the running configuration is unchanged: ${r.errors.join('; ')}`);
      return r;
    }
    try { o.log.configure(logSettings(loaded.config, o)); } catch (e) { log.error(`Cannot switch logging: ${(e as Error).message}`); }
    const s = r.summary;
    log.info('Reloaded the configuration', { added: s.added.join(','), removed: s.removed.join(','), changed: s.changed.join(','), kept: s.kept.join(',') });
    if (s.needRestart.length > 0) log.warn(`Changed keys that need a restart (the old values stay in use): ${s.needRestart.join(', ')}`);
    return r;
  };

  try {
    const opened = await openStore(o.config.store, { clock: realClock, log });
    if (!opened.ok) throw new Error(opened.error);
    store = opened.value;
    daemon = createDaemon(o.config, { clock: realClock, log, store, dryRun: o.dryRun, onQuiet: () => { compactIdleHeap(); } });
    // Filters are compiled: what runs from here (the restore, the hot path) is worth optimising.
    endStartup();
    await daemon.start();
    settleDaemonHeap();
    control = await startControlServer(o.config.controlSocket, createHandler({
      daemon, store, clock: realClock, version: o.version, configFile: o.configFile,
      reload: reloadFromFile, stop: () => stop('the stop command'),
    }), log);
  } catch (e) {
    const error = `Cannot start: ${(e as Error).message}`;
    await cleanUp();
    return refuse(error);
  }

  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => { log.info('SIGHUP: reloading the configuration'); void reloadFromFile(); });
  process.on('SIGUSR1', () => {
    try { o.log.reopen(); log.info('Reopened the log file'); } catch (e) { log.error(`Cannot reopen the log file: ${(e as Error).message}`); }
  });
  // In the foreground we belong to whoever started us: if that process dies (a supervisor or shell killed with
  // -9), stop cleanly instead of living on as an orphan that holds the pidfile. After -d the parent exits on
  // purpose once we are up, so there is nothing to watch.
  const every = o.detached ? undefined : parentWatchMs(parent);
  if (every !== undefined) setInterval(() => { if (process.ppid !== parent) stop('exit of the parent process'); }, every).unref();
  report();
  return stopped;
}
