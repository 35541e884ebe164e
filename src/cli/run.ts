import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { formatConfigError } from '../config/types.js';
import { createLogOutput, type LogOutput } from '../daemon/logging.js';
import { logSettings, runService } from '../daemon/service.js';
import { endStartup } from '../daemon/v8-flags.js';
import { recoverStore } from '../stores/index.js';
import { configOption, DEFAULT_CONFIG, EXIT, parse, type Io, type Parsed } from './args.js';
import { detach, reportToParent, takeDetachedMarker } from './detach.js';
import { version } from './version.js';

export const runHelp = `Usage: dictdefence run [-c FILE] [-d] [--pidfile FILE] [--debug] [--dry-run] [--recover]

Runs the daemon: follows the jails' sources, bans offenders through their actions, lifts bans when they end,
and answers the control commands (status, bans, ban, unban, why, reload, stop) on its control socket. Bans
survive a restart.

In the foreground by default (for systemd, Type=simple: see contrib/systemd). With -d it detaches: it starts
itself again in a new session, waits until that daemon has written the pidfile and listens on its control
socket, and exits 0 — or 1 with the daemon's error. Detached, it logs to "log.file" if set, else to syslog.

Options:
  -c, --config FILE   config file (default ${DEFAULT_CONFIG})
  -d, --detach        run in the background (the old tool's -d)
      --pidfile FILE  write the pid here (default: "pidfile" in the config, /run/dictdefence.pid); a pidfile
                      naming a live DictDefence makes the start fail, a stale one is replaced
      --debug         log at debug level
      --dry-run       log and record what would be banned; call no action
      --recover       if the store file is damaged, move it aside (FILE.corrupt-TIME) and start with an
                      empty store; bans already in the firewall stay there (see docs/stores.md)
  -h, --help          show this help

Signals: SIGTERM or SIGINT stop cleanly (bans stay in the store and, unless an action removes them at stop,
in the firewall). SIGHUP reloads the config: a broken one is logged and the running one stays; unchanged
jails keep their state. SIGUSR1 reopens the log file (after logrotate).
`;

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const detached = takeDetachedMarker();
  const a = parse(argv, { ...configOption, detach: { type: 'boolean', short: 'd' }, pidfile: { type: 'string' }, debug: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, recover: { type: 'boolean' } });
  if (!a.ok) { io.err(`${a.error}\n${runHelp}`); return EXIT.usage; }
  if (a.values.help) { io.out(runHelp); return EXIT.ok; }
  if (a.positionals.length > 0) { io.err(`Unexpected argument "${a.positionals[0]}"\n${runHelp}`); return EXIT.usage; }

  try {
    return await runDaemon(argv, a.values, detached, io);
  } finally {
    // bin/dictdefence.js starts `run` without TurboFan (v8-flags.ts); runService turns it back on once the
    // config is compiled, this for every way out before that.
    endStartup();
  }
}

async function runDaemon(argv: readonly string[], values: Extract<Parsed, { ok: true }>['values'], detached: boolean, io: Io): Promise<number> {
  const fail = (error: string): number => { if (detached) reportToParent(error); return EXIT.failure; };
  const file = resolve((values.config as string | undefined) ?? DEFAULT_CONFIG);
  const loaded = loadConfig(file);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(`${formatConfigError(e)}\n`);
    const error = `Refusing to start: ${loaded.errors.length} error${loaded.errors.length === 1 ? '' : 's'} in the configuration`;
    io.err(`${error}\n`);
    return fail(error);
  }
  const config = loaded.config;
  const pidfile = resolve((values.pidfile as string | undefined) ?? config.pidfile);
  const debug = values.debug === true;

  if (values.detach && !detached) {
    // The child gets the same arguments, less -d, with paths made absolute (it runs in "/"); a repeated
    // option's last value wins, so appending overrides what was given relative.
    const args = [...argv.filter((x) => x !== '-d' && x !== '--detach'), '-c', file, '--pidfile', pidfile];
    const r = await detach({ args, pidfile, ...(config.logFile ? { logFile: config.logFile } : {}), timeoutMs: 120_000 });
    if (!r.ok) { io.err(`${r.error}\n`); return EXIT.failure; }
    io.out(`DictDefence ${version()} started in the background, pid ${r.pid}\n`);
    return EXIT.ok;
  }

  let output: LogOutput;
  try {
    output = createLogOutput(logSettings(config, { debug, detached }), { writeStderr: (l) => io.err(l) });
  } catch (e) {
    const error = `Cannot open log file "${config.logFile}": ${(e as Error).message}`;
    io.err(`${error}\n`);
    return fail(error);
  }
  process.on('uncaughtException', (e) => {
    // Logged where the administrator looks (a detached daemon's stderr may be /dev/null), then exit: the
    // state is unknown, and the store and restart recovery are built for exactly this.
    output.logger.error(`Crashed: ${e.stack ?? e.message}`);
    process.exit(70);
  });
  const code = await runService({
    configFile: file, config, pidfile, debug, dryRun: values['dry-run'] === true, detached, log: output, version: version(),
    parent: io.parentPid ?? process.ppid,
    onStarted: detached ? reportToParent : undefined,
    // A damaged SQLite or file store is moved aside (stores/index.ts) — only once the pidfile is ours, so a
    // second "run --recover" cannot move the store of a daemon that is running.
    ...(values.recover === true ? { prepareStore: () => recoverStore(config.store, { log: output.logger }) } : {}),
  });
  output.close();
  return code;
}
