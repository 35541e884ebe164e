import { mkdirSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { formatConfigError } from '../config/types.js';
import { realClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { createDaemon } from '../daemon/daemon.js';
import { claimPidfile, livePid, releasePidfile } from '../daemon/pidfile.js';
import { openStore } from '../stores/index.js';
import { configOption, DEFAULT_CONFIG, EXIT, parse, type Io } from './args.js';

export const runHelp = `Usage: dictdefence run [-c FILE] [--pidfile FILE] [--debug] [--dry-run]

Runs the daemon in the foreground (for systemd Type=simple and for trying it out): follows the jails'
sources, bans offenders through their actions, and lifts bans when they end. Bans survive a restart.

Options:
  -c, --config FILE   config file (default ${DEFAULT_CONFIG})
      --pidfile FILE  write the pid here (default: "pidfile" in the config, /run/dictdefence.pid)
      --debug         log at debug level
      --dry-run       log and record what would be banned; call no action
  -h, --help          show this help

Signals: SIGTERM or SIGINT stop cleanly (bans stay in the firewall and the store).
`;

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const a = parse(argv, { ...configOption, pidfile: { type: 'string' }, debug: { type: 'boolean' }, 'dry-run': { type: 'boolean' } });
  if (!a.ok) { io.err(`${a.error}\n${runHelp}`); return EXIT.usage; }
  if (a.values.help) { io.out(runHelp); return EXIT.ok; }
  if (a.positionals.length > 0) { io.err(`Unexpected argument "${a.positionals[0]}"\n${runHelp}`); return EXIT.usage; }
  const file = (a.values.config as string | undefined) ?? DEFAULT_CONFIG;
  const loaded = loadConfig(file);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(`${formatConfigError(e)}\n`);
    io.err(`Refusing to start: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'} in the configuration\n`);
    return EXIT.failure;
  }
  const config = loaded.config;
  const log = createLogger(a.values.debug ? 'debug' : config.logLevel, { write: (l) => io.err(l) });
  const pidfile = (a.values.pidfile as string | undefined) ?? config.pidfile;

  try { mkdirSync(config.stateDir, { recursive: true, mode: 0o700 }); } catch (e) {
    log.error(`Cannot create state_dir "${config.stateDir}": ${(e as Error).message}`);
    return EXIT.failure;
  }
  const claimed = await claimPidfileWaiting(pidfile, 3000);
  if (!claimed.ok) { log.error(claimed.error); return EXIT.failure; }

  const store = await openStore(config.store, { clock: realClock, log });
  if (!store.ok) { log.error(store.error); releasePidfile(pidfile); return EXIT.failure; }

  let daemon;
  try {
    daemon = createDaemon(config, { clock: realClock, log, store: store.value, dryRun: a.values['dry-run'] === true });
    await daemon.start();
  } catch (e) {
    log.error(`Cannot start: ${(e as Error).message}`);
    await daemon?.stop().catch(() => {});
    await store.value.close();
    releasePidfile(pidfile);
    return EXIT.failure;
  }

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info(`Stopping on ${signal}`);
      void (async () => {
        try { await daemon.stop(); } catch (e) { log.error(`Error while stopping: ${(e as Error).message}`); }
        await store.value.close().catch(() => {});
        releasePidfile(pidfile);
        log.info('Stopped');
        resolve(EXIT.ok);
      })();
    };
    // In the foreground we belong to whoever started us: if that process dies (a supervisor or shell killed
    // with -9), stop cleanly instead of living on as an orphan that holds the pidfile. Under systemd or
    // after -d the parent is init from the start and never changes.
    const parent = process.ppid;
    const watch = setInterval(() => { if (process.ppid !== parent) stop('exit of the parent process'); }, 100);
    watch.unref();
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => log.warn('SIGHUP: reload is not supported yet; restart to apply a new config'));
  });
}

/** A daemon that is just stopping still holds the pidfile for a moment: give it `waitMs` before refusing. */
async function claimPidfileWaiting(file: string, waitMs: number): Promise<ReturnType<typeof claimPidfile>> {
  const end = Date.now() + waitMs;
  while (livePid(file) !== undefined && livePid(file) !== process.pid && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return claimPidfile(file);
}
