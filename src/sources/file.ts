/**
 * The file source: follows one log file the way `tail -F` does, across rename, copytruncate, truncation and
 * delete + recreate, and remembers { dev, inode, offset } so that a restart neither rereads nor skips.
 *
 * Detection. An fs.watch (inotify) on the file's directory wakes the source within milliseconds of a write,
 * rename or create at PATH. The watch can be absent or silent (directory missing, NFS and other network
 * filesystems, the inotify watch limit, the directory itself replaced), so a poll timer also stats PATH every
 * `pollIntervalMs` (default 1000). Worst-case delay before new lines are seen: `pollIntervalMs`. After a
 * rename or delete, the old file is drained before the new one is read: the switch comes once the old file
 * has not grown for about half a poll interval, and at the latest `rotateGraceMs` (default 2000) + one poll
 * interval after the rotation was noticed. Copytruncate is noticed as "size < offset", so a truncated file
 * that grows back past our offset before we look (only possible without inotify, within one poll interval)
 * is read from the old offset: the lines in between are missed, as with any tail.
 */
import { watch, type BigIntStats, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { LogLine } from '../core/types.js';
import {
  decodePosition, encodePosition, errorCode, errorMessage, openFollowed, openIfSame, positionOf,
  readToEnd, sameFile, statIfExists, type FilePosition, type FollowedFile,
} from './file-reader.js';
import { createPositionSaver } from './position-saver.js';
import { newSourceCounters, type Source, type SourceDeps } from './source.js';

export interface FileSourceOptions {
  /** Absolute path of the log file. */
  readonly path: string;
  /** How often PATH is stat'ed when inotify says nothing. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** With no saved position, read the existing content instead of starting at the end. */
  readonly readFromStart?: boolean;
  /** Longest time a rotated file is kept open for a writer that has not reopened yet. Default 2000 ms. */
  readonly rotateGraceMs?: number;
}

const BUFFER_SIZE = 64 * 1024;
/** Position saves are coalesced to at most one per this interval (and one on stop). */
const SAVE_EVERY_MS = 250;

/** Opening a FIFO for reading would block until a writer comes; a directory cannot be followed at all. */
const mustBeRegular = (st: BigIntStats): void => {
  if (!st.isFile()) throw new Error('not a regular file');
};

interface RotatedFile extends FollowedFile {
  readonly rotatedAt: number;
  lastGrowthAt: number;
}

export function createFileSource(options: FileSourceOptions, deps: SourceDeps): Source {
  const { path } = options;
  const id = `file:${path}`;
  const pollMs = options.pollIntervalMs ?? 1000;
  const graceMs = options.rotateGraceMs ?? 2000;
  const { clock, log, positions, maxLineLength } = deps;
  const counters = newSourceCounters();
  const buffer = Buffer.allocUnsafe(BUFFER_SIZE);

  let onLines: (lines: LogLine[]) => void = () => undefined;
  let started = false;
  let stopping = false;
  /** Every read, open and close runs on this chain, one at a time. */
  let chain: Promise<void> = Promise.resolve();
  let tickQueued = false;
  let current: FollowedFile | undefined;
  /** The file PATH named before a rotation, drained before `current` is opened. */
  let rotated: RotatedFile | undefined;
  /** A saved position not yet matched to a file: consulted by the next open of PATH. */
  let resumeAt: FilePosition | undefined;
  /** Set when PATH existed at start but could not be opened: once it can, start at its end all the same. */
  let openAtEnd = false;
  let cancelPoll: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  let lastWarning: string | undefined;
  let missingWarned = false;
  let resolveStopped: () => void = () => undefined;
  const stoppedPromise = new Promise<void>((resolve) => { resolveStopped = resolve; });

  /** Errors are counted every time but warned once until things work again, so a poll cannot flood the log. */
  const report = (action: string, e: unknown): void => {
    counters.errors++;
    const message = `${action} "${path}": ${errorMessage(e)}`;
    if (message === lastWarning) return;
    lastWarning = message;
    log.warn(message, { source: id });
  };

  const reportRead = (e: unknown): void =>
    report(errorCode(e) === 'EACCES' ? 'Cannot read (permission denied)' : 'Cannot read', e);

  const saver = createPositionSaver(id, {
    clock, positions, everyMs: SAVE_EVERY_MS, onError: (e) => report('Cannot save position of', e),
  });
  const note = (file: FollowedFile): void => saver.note(encodePosition(positionOf(file)));

  const deliver = (file: FollowedFile, texts: string[]): void => {
    if (texts.length > 0) {
      const receivedAt = clock.now();
      const lines = texts.map((text): LogLine => ({ text, source: id, receivedAt }));
      counters.lines += lines.length;
      try {
        onLines(lines);
      } catch (e) {
        // The contract forbids it; should it happen anyway, the read position must still move on.
        report('Cannot hand on lines from', e);
      }
    }
    note(file);
  };

  const close = async (file: FollowedFile | undefined): Promise<void> => {
    await file?.handle.close().catch((e: unknown) => report('Cannot close', e));
  };

  /** Decides where reading resumes: the saved position, PATH.1, the end of PATH, or (new file) its start. */
  async function resume(): Promise<void> {
    let saved: FilePosition | undefined;
    try {
      const raw = await positions.getPosition(id);
      saved = raw === undefined ? undefined : decodePosition(raw);
      if (raw !== undefined && saved === undefined) log.warn('Ignoring malformed saved position', { source: id });
    } catch (e) {
      report('Cannot load saved position of', e);
    }
    const st = await statIfExists(path);
    if (st !== undefined) mustBeRegular(st);
    if (saved === undefined) {
      if (st === undefined) return; // appears later: a new file, read from its start
      const { file } = await openFollowed(path, maxLineLength, counters, options.readFromStart ? undefined : buffer);
      current = file;
      note(file);
      return;
    }
    resumeAt = saved;
    if (st !== undefined && sameFile(st, saved)) return;
    // Rotated while we were down: finish the old file from where we stopped, then read PATH from 0.
    const old = await openIfSame(`${path}.1`, saved, maxLineLength, counters);
    if (old === undefined) return;
    resumeAt = undefined;
    old.file.offset = saved.offset <= old.size ? saved.offset : 0;
    const now = clock.now();
    rotated = Object.assign(old.file, { rotatedAt: now, lastGrowthAt: now });
    note(rotated);
  }

  async function openPath(): Promise<FollowedFile> {
    const { file, size } = await openFollowed(path, maxLineLength, counters, openAtEnd ? buffer : undefined);
    const saved = resumeAt;
    resumeAt = undefined;
    if (saved !== undefined && sameFile(saved, file)) {
      // The file we stopped in: resume there, unless it shrank below that meanwhile (copytruncate: all new).
      file.offset = saved.offset <= size ? saved.offset : 0;
    }
    // Otherwise the file is new to us (it appeared after start, or the saved inode is found neither at PATH
    // nor at PATH.1, i.e. it was rotated while we were down): everything in it was written since, so it is
    // read from 0. Rereading a few lines is better than missing an attack.
    openAtEnd = false;
    missingWarned = false;
    note(file);
    return file;
  }

  const beginRotation = (file: FollowedFile): void => {
    const now = clock.now();
    rotated = Object.assign(file, { rotatedAt: now, lastGrowthAt: now });
    current = undefined;
    log.debug('File rotated, draining the old one', { source: id });
  };

  /** Reads the rotated file again; true once it is finished and dropped. */
  async function drainRotated(old: RotatedFile): Promise<boolean> {
    const grew = (await readToEnd(old, buffer, deliver, () => stopping)) > 0;
    const now = clock.now();
    if (grew) old.lastGrowthAt = now;
    if (stopping || (now - old.lastGrowthAt < pollMs / 2 && now - old.rotatedAt < graceMs)) return false;
    // The writer has moved on, so an unterminated last line will never be finished: hand it on as it is.
    deliver(old, old.splitter.flush());
    rotated = undefined;
    await close(old);
    return true;
  }

  async function tick(): Promise<void> {
    if (stopping) return;
    try {
      let st = await statIfExists(path);
      // Renamed away and back (an editor, a tool's temporary rename) while still open: no rotation after all.
      if (rotated && st && sameFile(rotated, st)) {
        current = rotated;
        rotated = undefined;
      }
      // Renamed or deleted, with or without a new file at PATH yet: the handle still reads the old inode.
      if (current && (st === undefined || !sameFile(current, st))) beginRotation(current);
      if (rotated) {
        if (!(await drainRotated(rotated))) return;
        st = await statIfExists(path);
      }
      if (st === undefined) {
        if (!missingWarned) {
          missingWarned = true;
          log.warn(`File "${path}" not found; waiting for it to appear`, { source: id });
        }
        lastWarning = undefined;
        return;
      }
      mustBeRegular(st);
      current ??= await openPath();
      if (sameFile(current, st) && Number(st.size) < current.offset) {
        log.info('File truncated, reading it again from the start', { source: id });
        current.offset = 0;
        current.splitter.reset();
        note(current);
      }
      await readToEnd(current, buffer, deliver, () => stopping);
      lastWarning = undefined;
    } catch (e) {
      reportRead(e);
    }
  }

  function requestTick(): void {
    if (tickQueued || stopping) return;
    tickQueued = true;
    chain = chain.then(() => {
      tickQueued = false;
      return tick();
    });
  }

  function startWatching(): void {
    if (watcher || stopping) return;
    const name = basename(path);
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
        if (filename === null || filename === name) requestTick();
      });
      watcher.on('error', (e: unknown) => {
        // The poll keeps the source going and tries to watch again.
        report('Cannot watch directory of', e);
        watcher?.close();
        watcher = undefined;
      });
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') report('Cannot watch directory of', e);
    }
  }

  function armPoll(): void {
    cancelPoll = clock.setTimer(clock.now() + pollMs, () => {
      cancelPoll = undefined;
      if (stopping) return;
      startWatching();
      requestTick();
      armPoll();
    });
  }

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    cancelPoll?.();
    watcher?.close();
    watcher = undefined;
    await chain;
    await saver.close();
    await close(rotated);
    await close(current);
    rotated = undefined;
    current = undefined;
    resolveStopped();
  }

  return {
    id,
    counters,
    async start(callback, signal) {
      if (started) throw new Error(`Cannot start source "${id}": already started`);
      started = true;
      onLines = callback;
      signal.addEventListener('abort', () => void stop(), { once: true });
      if (signal.aborted) return stop();
      chain = chain.then(async () => {
        try {
          await resume();
        } catch (e) {
          // PATH is there but unreadable (or the store failed): retried by the poll; start at its end then.
          openAtEnd = resumeAt === undefined && !options.readFromStart;
          reportRead(e);
        }
      });
      await chain;
      if (stopping) return;
      startWatching();
      armPoll();
      requestTick();
    },
    stopped: () => stoppedPromise,
  };
}
