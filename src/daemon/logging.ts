import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createLogger, type Level, type Logger } from '../core/log.js';

/** Where the daemon's log goes; `run` builds it from the config's `log:` and rebuilds it on reload. */
export interface LogSettings {
  readonly level: Level;
  /** Append here (reopened on SIGUSR1, for logrotate). */
  readonly file?: string;
  /** Also send every line to syslog through logger(1). */
  readonly syslog: boolean;
  readonly facility: string;
  /** Also write to standard error (the foreground default; /dev/null after -d). */
  readonly stderr: boolean;
}

export interface LogOutput {
  /** Follows every `configure`: hand it out once, it stays valid. */
  readonly logger: Logger;
  /** Switches targets and level. Throws when a new log file cannot be opened (the old targets stay). */
  configure(settings: LogSettings): void;
  /** Closes and opens the log file again, so that logrotate's rename takes effect. */
  reopen(): void;
  close(): void;
}

const SYSLOG_PRIORITY: Record<Level, string> = { error: 'err', warn: 'warning', info: 'info', debug: 'debug' };
const LEVELS: readonly Level[] = ['error', 'warn', 'info', 'debug'];

export interface LogOutputDeps {
  readonly writeStderr?: (line: string) => void;
  /** logger(1); injectable so a test can record what syslog would receive. */
  readonly loggerBinary?: string;
}

export function createLogOutput(initial: LogSettings, deps: LogOutputDeps = {}): LogOutput {
  const writeStderr = deps.writeStderr ?? ((l: string) => { process.stderr.write(l); });
  let settings = initial;
  let fd: number | undefined;
  let syslog: SyslogPipes | undefined;
  let loggers = new Map<Level, Logger[]>();

  const openFile = (file: string): number => {
    mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
    return openSync(file, 'a', 0o640);
  };
  const writeFile = (line: string): void => {
    if (fd === undefined) return;
    // Synchronous so that lines keep their order and the last ones before a crash are on disk.
    try { writeSync(fd, line); } catch { /* disk full: nothing better to do with a log line */ }
  };

  const build = (): void => {
    const next = new Map<Level, Logger[]>();
    for (const l of LEVELS) {
      const list: Logger[] = [];
      if (settings.stderr) list.push(createLogger(settings.level, { write: writeStderr }));
      if (fd !== undefined) list.push(createLogger(settings.level, { write: writeFile }));
      // syslog stamps the time itself; each level goes to the pipe of its own priority.
      const pipes = syslog;
      if (pipes) list.push(createLogger(settings.level, { write: (line) => pipes.write(l, line.slice(line.indexOf(' ') + 1)) }, false));
      next.set(l, list);
    }
    loggers = next;
  };

  const apply = (s: LogSettings): void => {
    if (s.file !== settings.file || (s.file && fd === undefined)) {
      const next = s.file ? openFile(s.file) : undefined; // throws before anything has changed
      if (fd !== undefined) closeSync(fd);
      fd = next;
    }
    if (syslog && (!s.syslog || s.facility !== settings.facility)) { syslog.close(); syslog = undefined; }
    if (s.syslog && !syslog) syslog = createSyslogPipes(s.facility, deps.loggerBinary ?? 'logger', writeStderr);
    settings = s;
    build();
  };

  const emit = (level: Level) => (message: string, fields?: Record<string, unknown>): void => {
    for (const l of loggers.get(level) ?? []) l[level](message, fields);
  };
  const logger: Logger = {
    get level() { return settings.level; },
    error: emit('error'), warn: emit('warn'), info: emit('info'), debug: emit('debug'),
  };

  settings = { ...initial, file: undefined };
  apply(initial);

  return {
    logger,
    configure: apply,
    reopen() {
      if (!settings.file) return;
      const next = openFile(settings.file);
      if (fd !== undefined) closeSync(fd);
      fd = next;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      syslog?.close();
      syslog = undefined;
      build();
    },
  };
}

interface SyslogPipes { write(level: Level, line: string): void; close(): void }

/**
 * Node has no AF_UNIX datagram socket to reach /dev/log, so lines go through logger(1): one long-lived
 * process per priority, started on first use (argv only, no shell). A logger that cannot run is reported once
 * on stderr and its lines are dropped, never queued without bound.
 */
function createSyslogPipes(facility: string, binary: string, warn: (line: string) => void): SyslogPipes {
  const pipes = new Map<Level, ChildProcess | null>();
  const get = (level: Level): ChildProcess | null => {
    const known = pipes.get(level);
    if (known !== undefined) return known;
    const child = spawn(binary, ['-t', 'dictdefence', '-p', `${facility}.${SYSLOG_PRIORITY[level]}`], { stdio: ['pipe', 'ignore', 'ignore'], shell: false });
    child.unref();
    const fail = (why: string): void => {
      if (pipes.get(level) === null) return;
      pipes.set(level, null);
      warn(`${new Date().toISOString()} warn  Cannot log to syslog with "${binary}": ${why}\n`);
    };
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code) => { if (pipes.get(level) === child) fail(`it exited with code ${code}`); });
    child.stdin?.on('error', () => fail('its input closed'));
    // The pipe must not keep the event loop alive at stop.
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    pipes.set(level, child);
    return child;
  };
  return {
    write(level, line) {
      const child = get(level);
      if (child?.stdin?.writable && child.stdin.writableLength < 1 << 20) child.stdin.write(line);
    },
    close() {
      for (const [level, child] of pipes) {
        pipes.set(level, null);
        child?.stdin?.end();
      }
    },
  };
}
