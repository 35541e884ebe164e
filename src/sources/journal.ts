/**
 * The journal source: follows the systemd journal through `journalctl --follow --output=json` with match
 * filters (`_SYSTEMD_UNIT=ssh.service`; several fields must all match), run without a shell.
 *
 * Position: the cursor of the last entry handed on is saved (coalesced) under the source's id; a restart
 * runs `--after-cursor=CURSOR`, so entries written while the daemon was down are read once and none twice.
 * With no cursor yet (first start) it starts at the end (`--lines=0`), like a file. A cursor journalctl
 * rejects (malformed, or from another machine's journal) is dropped with a warning, and reading starts at
 * the end.
 *
 * The child: spawned once at start — a missing `journalctl` fails the start with a clear error, since
 * nothing will make it appear. Should it exit later (journald restarted, the binary upgraded, killed), it
 * is started again after 1 s, doubling to at most a minute while it keeps failing without output. On stop
 * it gets SIGTERM, then SIGKILL if it has not exited within 2 s. Its stdout is read a chunk at a time with
 * a pause between chunks (stream-lines.ts), so journalctl, not our memory, absorbs a backlog.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { LogLine } from '../core/types.js';
import { errorCode, errorMessage } from './file-reader.js';
import { journalLine } from './journal-entry.js';
import { createLineSplitter } from './line-splitter.js';
import { createPositionSaver } from './position-saver.js';
import { newSourceCounters, type Source, type SourceDeps } from './source.js';
import { pumpLines } from './stream-lines.js';
import { createLifecycle } from './lifecycle.js';

export interface JournalSourceOptions {
  /** Journal fields and the values they must have, e.g. `{ _SYSTEMD_UNIT: 'ssh.service' }`. */
  readonly match: Readonly<Record<string, string>>;
  /** The journalctl to run; default `journalctl` from PATH. */
  readonly binary?: string;
  /** A journald namespace (`journalctl --namespace`). */
  readonly namespace?: string;
  /** First and longest wait before restarting a journalctl that exited. Defaults 1 s and 60 s. */
  readonly restartMinMs?: number;
  readonly restartMaxMs?: number;
}

/** The fields journal-entry.ts reads; journalctl adds the cursor and timestamps itself. */
const FIELDS = 'MESSAGE,_HOSTNAME,SYSLOG_IDENTIFIER,_COMM,_PID,SYSLOG_PID';
const SAVE_EVERY_MS = 250;
const KILL_AFTER_MS = 2000;
/** A cursor is printable ASCII of modest length; anything else in the store is not ours. */
const CURSOR = /^[\x21-\x7e]{1,512}$/;

export function journalId(options: Pick<JournalSourceOptions, 'match' | 'namespace'>): string {
  const matches = Object.entries(options.match).map(([k, v]) => `${k}=${v}`).sort().join(',');
  return `journal:${options.namespace ? `${options.namespace}:` : ''}${matches || 'all'}`;
}

export function createJournalSource(options: JournalSourceOptions, deps: SourceDeps): Source {
  const id = journalId(options);
  const binary = options.binary ?? 'journalctl';
  const minMs = options.restartMinMs ?? 1000;
  const maxMs = options.restartMaxMs ?? 60_000;
  const { clock, log, positions, maxLineLength } = deps;
  const counters = newSourceCounters();

  let onLines: (lines: LogLine[]) => void = () => undefined;
  let stopping = false;
  let cursor: string | undefined;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let cancelRestart: (() => void) | undefined;
  let delayMs = minMs;
  const lifecycle = createLifecycle(id);

  let saveFailing = false;
  const saver = createPositionSaver(id, {
    clock, positions, everyMs: SAVE_EVERY_MS,
    onError: (e) => {
      counters.errors++;
      if (!saveFailing) log.warn(`Cannot save the journal cursor: ${errorMessage(e)}`, { source: id });
      saveFailing = true;
    },
    onSaved: () => { saveFailing = false; },
  });

  const argv = (): string[] => [
    '--follow', '--no-pager', '--output=json', '--all', `--output-fields=${FIELDS}`,
    ...(options.namespace ? [`--namespace=${options.namespace}`] : []),
    cursor === undefined ? '--lines=0' : `--after-cursor=${cursor}`,
    ...Object.entries(options.match).map(([k, v]) => `${k}=${v}`),
  ];

  /** Handles journalctl's JSON lines: one batch of log lines, and the cursor of the last entry. */
  const onJson = (texts: string[]): void => {
    const now = clock.now();
    const lines: LogLine[] = [];
    for (const json of texts) {
      const entry = journalLine(json, now, counters);
      if (entry?.cursor !== undefined) cursor = entry.cursor;
      if (entry?.text !== undefined) lines.push({ text: entry.text, source: id, receivedAt: now });
    }
    delayMs = minMs;
    if (lines.length > 0) {
      counters.lines += lines.length;
      try {
        onLines(lines);
      } catch (e) {
        counters.errors++;
        log.warn(`Cannot hand on lines: ${errorMessage(e)}`, { source: id });
      }
    }
    if (cursor !== undefined) saver.note({ cursor });
  };

  /** Starts journalctl; resolves once it runs, rejects if it cannot be started at all. */
  function launch(): Promise<void> {
    const args = argv();
    log.debug(`Running ${binary} ${args.join(' ')}`, { source: id });
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, env: { ...process.env, SYSTEMD_COLORS: '0' } });
    child = proc;
    let stderr = '';
    let output = false;
    /** Only a child that ran is restarted from 'close'; a failed spawn is handled by the caller of launch. */
    let ran = false;
    proc.stderr?.on('data', (b: Buffer) => { stderr = (stderr + b.toString('utf8')).slice(-2000); });
    // JSON lines are longer than log lines (escapes, byte arrays); the cap still bounds memory.
    const splitter = createLineSplitter(Math.max(65_536, maxLineLength * 8), counters);
    const detach = proc.stdout ? pumpLines(proc.stdout, splitter, counters, (t) => { output = true; onJson(t); }) : () => undefined;
    exited = new Promise<void>((resolve) => {
      proc.once('close', (code, signal) => {
        detach();
        if (child === proc) child = undefined;
        resolve();
        if (!stopping && ran) onExit(code, signal, stderr.trim(), output);
      });
    });
    return new Promise<void>((resolve, reject) => {
      proc.once('spawn', () => {
        ran = true;
        resolve();
      });
      proc.on('error', (e) => {
        const missing = errorCode(e) === 'ENOENT';
        reject(new Error(missing
          ? `"${binary}" not found: install systemd's journalctl, or set "binary" to its path`
          : `Cannot run "${binary}": ${errorMessage(e)}`));
      });
    });
  }

  function onExit(code: number | null, signal: NodeJS.Signals | null, stderr: string, output: boolean): void {
    if (!output && cursor !== undefined && /cursor/i.test(stderr)) {
      log.warn(`journalctl rejected the saved cursor; reading from the end instead: ${stderr}`, { source: id });
      cursor = undefined;
    }
    counters.errors++;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    log.warn(`journalctl ${how}${stderr ? `: ${stderr.split('\n').slice(-2).join(' ')}` : ''}; restarting in ${delayMs / 1000} s`, { source: id });
    restartLater();
  }

  function restartLater(): void {
    const wait = delayMs;
    delayMs = Math.min(delayMs * 2, maxMs);
    cancelRestart = clock.setTimer(clock.now() + wait, () => {
      cancelRestart = undefined;
      if (stopping) return;
      launch().catch((e: unknown) => {
        counters.errors++;
        log.warn(`${errorMessage(e)}; retrying in ${delayMs / 1000} s`, { source: id });
        restartLater();
      });
    });
  }

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    cancelRestart?.();
    const proc = child;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const cancelKill = clock.setTimer(clock.now() + KILL_AFTER_MS, () => proc.kill('SIGKILL'));
      await exited;
      cancelKill();
    }
    await saver.close();
    lifecycle.done();
  }

  return {
    id,
    counters,
    async start(callback, signal) {
      const go = lifecycle.begin(signal, stop);
      onLines = callback;
      if (!go) return stop();
      try {
        const saved = (await positions.getPosition(id))?.cursor;
        if (typeof saved === 'string' && CURSOR.test(saved)) cursor = saved;
        else if (saved !== undefined) log.warn('Ignoring malformed saved journal cursor', { source: id });
      } catch (e) {
        counters.errors++;
        log.warn(`Cannot load the saved journal cursor: ${errorMessage(e)}`, { source: id });
      }
      if (stopping) return;
      try {
        await launch();
      } catch (e) {
        await stop();
        throw new Error(`Cannot start source "${id}": ${errorMessage(e)}`);
      }
    },
    stopped: lifecycle.stopped,
    flushPosition: () => saver.flush(),
  };
}
