/**
 * The file source: one log file, or every file a glob in the last path component matches
 * (`/var/log/nginx/*error.log`), each followed by its own FileFollower (file-follower.ts) with its own
 * position `file:PATH` in the store.
 *
 * Detection. One fs.watch (inotify) on the directory wakes the follower of a name within milliseconds of a
 * write, rename or create, and makes a glob look for new files at once. The watch can be absent or silent
 * (directory missing, NFS and other network filesystems, the inotify watch limit, the directory itself
 * replaced), so a poll timer also, every `pollIntervalMs` (default 1000): retries the watch, lists the
 * directory of a glob, and pokes every follower (one stat each). Worst cases without inotify: new lines,
 * a rotation, a truncation and a new file matching the glob are all seen within `pollIntervalMs`; after a
 * rotation the new file is read at the latest `rotateGraceMs` (default 2000) + `pollIntervalMs` later.
 *
 * Files of a glob that are there at start are resumed from their saved positions (or taken from their end,
 * like a single file); files that appear later are new and read from their start — except a new name for a
 * file another follower still has open (`a.log` renamed to `a.log.1` under `*.log*`): the old follower
 * drains it, so the new name starts at its end and no line is counted twice. A file of a glob that is gone
 * and drained is dropped; at most `maxFiles` are followed at once.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LogLine } from '../core/types.js';
import { BACKLOG_READ_SIZE, READ_SIZE, createBufferPool, errorCode, errorMessage, statIfExists } from './file-reader.js';
import { createFileFollower, type FileFollower } from './file-follower.js';
import { compileGlob, hasWildcard } from './glob.js';
import { newSourceCounters, type Source, type SourceDeps, type TakeBytes } from './source.js';
import { createLifecycle } from './lifecycle.js';

export interface FileSourceOptions {
  /** Absolute path of the log file; the last component may be a glob. */
  readonly path: string;
  /** How often files are stat'ed (and a glob's directory listed) when inotify says nothing. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** With no saved position, read a file that exists at start from its start instead of its end. */
  readonly readFromStart?: boolean;
  /** Longest time a rotated file is kept open for a writer that has not reopened yet. Default 2000 ms. */
  readonly rotateGraceMs?: number;
  /** Use inotify as well as the poll. Default true; off, only the poll notices changes. */
  readonly inotify?: boolean;
  /** Most files a glob follows at once (each holds a descriptor). Default 1024. */
  readonly maxFiles?: number;
  /**
   * Read what an event announced at once where the file is on a local filesystem (file-reader.ts,
   * readAppendedSync). Default true; tests turn it off to drive the thread-pool path a remote file takes.
   */
  readonly readAtOnce?: boolean;
}

export function createFileSource(options: FileSourceOptions, deps: SourceDeps): Source {
  const { path } = options;
  const id = `file:${path}`;
  const dir = dirname(path);
  const pattern = basename(path);
  const glob = hasWildcard(pattern) ? compileGlob(pattern) : undefined;
  if (glob && !glob.ok) throw new Error(`Cannot follow "${path}": ${glob.error}`);
  const matches = glob?.ok ? glob.match : undefined;
  const pollMs = options.pollIntervalMs ?? 1000;
  const maxFiles = options.maxFiles ?? 1024;
  const { clock, log } = deps;
  const counters = newSourceCounters();
  const buffers = createBufferPool(READ_SIZE);
  // None kept idle: a source holds a backlog buffer only while it reads a backlog.
  const backlog = { buffers: createBufferPool(BACKLOG_READ_SIZE, 0), now: () => deps.clock.now() };
  const followers = new Map<string, FileFollower>();

  let onLines: (lines: LogLine[]) => void = () => undefined;
  let onBytes: (() => TakeBytes | undefined) | undefined;
  let stopping = false;
  let cancelPoll: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  /** Directory listings of a glob run one at a time; a request while one runs queues exactly one more. */
  let scanning: Promise<void> = Promise.resolve();
  let scanQueued = false;
  let warnedDir: string | undefined;
  let warnedFull = false;
  const lifecycle = createLifecycle(id);

  const warnOnce = (message: string): void => {
    counters.errors++;
    if (message === warnedDir) return;
    warnedDir = message;
    log.warn(message, { source: id });
  };

  const follower = (name: string, readFromStart: boolean): FileFollower =>
    createFileFollower(join(dir, name), readFromStart, {
      deps, counters, buffers, backlog, pollMs, graceMs: options.rotateGraceMs ?? 2000, readAtOnce: options.readAtOnce !== false,
      deliver: (lines) => onLines(lines),
      takeBytes: () => onBytes?.(),
    });

  /** Adds followers for new matching names and drops those whose file is gone and drained. */
  async function scan(initial: boolean): Promise<void> {
    if (!matches || stopping) return;
    let names: string[];
    try {
      names = (await readdir(dir)).filter(matches).sort();
      warnedDir = undefined;
    } catch (e) {
      const code = errorCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') warnOnce(`Cannot list directory "${dir}": ${errorMessage(e)}`);
      else warnOnce(`Directory "${dir}" not found; waiting for it to appear`);
      names = [];
    }
    const present = new Set(names);
    for (const [name, f] of followers) {
      if (!present.has(name) && f.idle) {
        followers.delete(name);
        await f.stop();
      }
    }
    for (const name of names) {
      if (stopping) return;
      if (followers.has(name)) continue;
      if (followers.size >= maxFiles) {
        if (!warnedFull) log.warn(`Following ${maxFiles} files already; "${name}" and others are left out`, { source: id });
        warnedFull = true;
        counters.errors++;
        break;
      }
      const f = follower(name, initial ? options.readFromStart === true : !(await heldByAnother(name)));
      followers.set(name, f);
      await f.start();
      if (!initial) f.poke();
    }
  }

  /** Whether `name` is a file some follower has open under its old name (a rotation into the glob). */
  async function heldByAnother(name: string): Promise<boolean> {
    const st = await statIfExists(join(dir, name)).catch(() => undefined);
    return st !== undefined && [...followers.values()].some((f) => f.holds(st));
  }

  function requestScan(): Promise<void> {
    if (!matches || scanQueued || stopping) return scanning;
    scanQueued = true;
    scanning = scanning.then(() => {
      scanQueued = false;
      return scan(false);
    }).catch((e: unknown) => warnOnce(`Cannot list directory "${dir}": ${errorMessage(e)}`));
    return scanning;
  }

  const pokeAll = (): void => {
    for (const f of followers.values()) f.poke();
  };

  function startWatching(): void {
    if (watcher || stopping || options.inotify === false) return;
    try {
      watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename === null) {
          void requestScan();
          pokeAll();
          return;
        }
        const f = followers.get(filename);
        if (f) f.poke();
        else if (matches?.(filename)) void requestScan();
      });
      watcher.on('error', (e: unknown) => {
        // The poll keeps the source going and tries to watch again.
        warnOnce(`Cannot watch directory "${dir}": ${errorMessage(e)}`);
        watcher?.close();
        watcher = undefined;
      });
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') warnOnce(`Cannot watch directory "${dir}": ${errorMessage(e)}`);
    }
  }

  function armPoll(): void {
    cancelPoll = clock.setTimer(clock.now() + pollMs, () => {
      cancelPoll = undefined;
      if (stopping) return;
      startWatching();
      // Listed first, so a follower that is about to see its file renamed still holds it during the scan.
      void requestScan().then(pokeAll);
      armPoll();
    });
  }

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    cancelPoll?.();
    watcher?.close();
    watcher = undefined;
    await scanning;
    await Promise.all([...followers.values()].map((f) => f.stop()));
    lifecycle.done();
  }

  return {
    id,
    counters,
    async start(callback, signal, takeBytes) {
      const go = lifecycle.begin(signal, stop);
      onLines = callback;
      onBytes = takeBytes;
      if (!go) return stop();
      if (matches) {
        scanning = scan(true).catch((e: unknown) => warnOnce(`Cannot list directory "${dir}": ${errorMessage(e)}`));
        await scanning;
      } else {
        const f = follower(pattern, options.readFromStart === true);
        followers.set(pattern, f);
        await f.start();
      }
      if (stopping) return;
      startWatching();
      armPoll();
      pokeAll();
    },
    stopped: lifecycle.stopped,
    async flushPosition() {
      await Promise.all([...followers.values()].map((f) => f.flush()));
    },
  };
}
