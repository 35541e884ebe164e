/**
 * Follows one path the way `tail -F` does, across rename, copytruncate, truncation, delete + recreate and a
 * symlink swapped under it, and remembers { dev, inode, offset } under `file:PATH` so that a restart neither
 * rereads nor skips. It does not watch or poll by itself: the file source that owns it (file.ts) calls
 * `poke` on an inotify event for the name and on every poll, so one directory watch and one timer serve any
 * number of files.
 *
 * After a rename or delete the old file is drained before the new one is read: the switch comes once the
 * old file has not grown for about half a poll interval, and at the latest `graceMs` + one poll interval
 * after the rotation was noticed. Copytruncate is noticed as "size < offset", so a truncated file that grows
 * back past our offset before we look (only possible without inotify, within one poll interval) is read from
 * the old offset: the lines in between are missed, as with any tail.
 */
import type { BigIntStats } from 'node:fs';
import type { LogLine } from '../core/types.js';
import {
  decodePosition, encodePosition, errorCode, errorMessage, openFollowed, openIfSame, positionOf,
  readAppendedSync, readToEnd, sameFile, statIfExists, type Backlog, type BufferPool, type FileId, type FilePosition, type FollowedFile,
} from './file-reader.js';
import { createPositionSaver } from './position-saver.js';
import type { SourceCounters, SourceDeps, TakeBytes } from './source.js';

export interface FollowerContext {
  readonly deps: SourceDeps;
  /** The owning source's counters, shared by all its files. */
  readonly counters: SourceCounters;
  readonly buffers: BufferPool;
  /** Bigger buffers, for the reads after one that filled its buffer (file-reader.ts BACKLOG_READ_SIZE). */
  readonly backlog?: Backlog;
  /** Receives each batch of whole lines, in file order. */
  readonly deliver: (lines: LogLine[]) => void;
  /** Who takes the lines of the next chunk as bytes, if anyone (see Source.start's `takeBytes`). */
  readonly takeBytes?: () => TakeBytes | undefined;
  /** How often the owner pokes without an event; the rotation drain is timed by it. */
  readonly pollMs: number;
  /** Longest time a rotated file is kept open for a writer that has not reopened yet. */
  readonly graceMs: number;
  /** Read what was appended to a file on a local filesystem at once (FileSourceOptions.readAtOnce). */
  readonly readAtOnce: boolean;
}

export interface FileFollower {
  /** `file:PATH`: the key of its position in the store and the `source` of its lines. */
  readonly id: string;
  /** Loads the saved position and opens the file if it is there; problems are reported, never thrown. */
  start(): Promise<void>;
  /** Asks for a look at the path: read what was appended, notice a rotation. Coalesced; never throws. */
  poke(): void;
  /** True while no file is open (the path is missing or unreadable): there is nothing left to drain. */
  readonly idle: boolean;
  /** Whether `file` is open here, as the current file or one being drained after a rotation. */
  holds(file: FileId): boolean;
  /** Saves the position of what was delivered so far now (see Source.flushPosition). */
  flush(): Promise<void>;
  /** Waits for the read in progress, saves the position and closes the files. */
  stop(): Promise<void>;
}

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

export function createFileFollower(path: string, readFromStart: boolean, ctx: FollowerContext): FileFollower {
  const id = `file:${path}`;
  const { counters, buffers, backlog, pollMs, graceMs } = ctx;
  const { clock, log, positions, maxLineLength } = ctx.deps;

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
  let lastWarning: string | undefined;
  let missingWarned = false;
  let cancelRecheck: (() => void) | undefined;

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

  // Save failures (a full disk) are warned once until a save succeeds again; reads do not reset that.
  let saveFailing = false;
  const saver = createPositionSaver(id, {
    clock, positions, everyMs: SAVE_EVERY_MS,
    onError: (e) => {
      counters.errors++;
      if (!saveFailing) log.warn(`Cannot save position of "${path}": ${errorMessage(e)}`, { source: id });
      saveFailing = true;
    },
    onSaved: () => {
      if (saveFailing) log.info(`Saving the position of "${path}" works again`, { source: id });
      saveFailing = false;
    },
  });
  const note = (file: FollowedFile): void => saver.note(encodePosition(positionOf(file)));

  /** Hands on whole lines as one batch. */
  const hand = (texts: string[], receivedAt: number): void => {
    if (texts.length === 0) return;
    const lines = texts.map((text): LogLine => ({ text, source: id, receivedAt }));
    counters.lines += lines.length;
    try {
      ctx.deliver(lines);
    } catch (e) {
      // The contract forbids it; should it happen anyway, the read position must still move on.
      report('Cannot hand on lines from', e);
    }
  };

  const deliver = (file: FollowedFile, texts: string[]): void => {
    hand(texts, clock.now());
    note(file);
  };

  /**
   * The lines of a chunk read from `file`: to the taker of bytes where there is one (the lines it cannot take
   * delivered between, in order), else as batches of text.
   */
  const push = (file: FollowedFile, chunk: Buffer): void => {
    const receivedAt = clock.now();
    const take = ctx.takeBytes?.();
    if (take === undefined) {
      hand(file.splitter.push(chunk), receivedAt);
    } else {
      let pending: string[] = [];
      const before = (): void => {
        if (pending.length === 0) return;
        hand(pending, receivedAt);
        pending = [];
      };
      file.splitter.push(chunk, {
        take: (b, start, end) => {
          before();
          counters.lines++;
          try {
            take(b, start, end, id, receivedAt);
          } catch (e) {
            report('Cannot hand on a line from', e);
          }
          return true;
        },
        text: (line) => { pending.push(line); },
      });
      before();
      try {
        take.end?.();
      } catch (e) {
        report('Cannot hand on lines from', e);
      }
    }
    note(file);
  };

  const close = async (file: FollowedFile | undefined): Promise<void> => {
    await file?.handle.close().catch((e: unknown) => report('Cannot close', e));
  };

  /** Decides where reading resumes: the saved position, PATH.1, the end of PATH, or (new file) its start. */
  async function resume(buffer: Buffer): Promise<void> {
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
      const { file } = await openFollowed(path, maxLineLength, counters, readFromStart ? undefined : buffer);
      current = file;
      note(file);
      return;
    }
    resumeAt = saved;
    // Opened now, not at the first poke: a rotation in between would otherwise skip the old file's tail.
    if (st !== undefined && sameFile(st, saved)) {
      current = await openPath(buffer);
      return;
    }
    // Rotated while we were down: finish the old file from where we stopped, then read PATH from 0.
    const old = await openIfSame(`${path}.1`, saved, maxLineLength, counters);
    if (old === undefined) return;
    resumeAt = undefined;
    old.file.offset = saved.offset <= old.size ? saved.offset : 0;
    const now = clock.now();
    rotated = Object.assign(old.file, { rotatedAt: now, lastGrowthAt: now });
    note(rotated);
  }

  async function openPath(buffer: Buffer): Promise<FollowedFile> {
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
  async function drainRotated(old: RotatedFile, buffer: Buffer): Promise<boolean> {
    const grew = (await readToEnd(old, buffer, push, () => stopping, counters, backlog)) > 0;
    const now = clock.now();
    if (grew) old.lastGrowthAt = now;
    if (stopping) return false;
    if (now - old.lastGrowthAt < pollMs / 2 && now - old.rotatedAt < graceMs) {
      // Writes to the old file wake nobody (the watch follows names), so look again when it may be done.
      cancelRecheck?.();
      cancelRecheck = clock.setTimer(Math.min(old.lastGrowthAt + pollMs / 2, old.rotatedAt + graceMs), () => {
        cancelRecheck = undefined;
        poke();
      });
      return false;
    }
    // The writer has moved on, so an unterminated last line will never be finished: hand it on as it is.
    deliver(old, old.splitter.flush());
    rotated = undefined;
    await close(old);
    return true;
  }

  async function tick(buffer: Buffer): Promise<void> {
    if (stopping) return;
    try {
      // What was appended first, through the open handle: that is what a ban waits for (one trip through the
      // thread pool instead of two). Rotation and truncation are looked for after, as before; a rotated file
      // read here is only drained a little earlier, and a truncated one yields nothing until it is noticed.
      const atOnce = ctx.readAtOnce && current?.local === true;
      if (current && !rotated && !(atOnce && readAppendedSync(current, buffer, push, counters))) {
        await readToEnd(current, buffer, push, () => stopping, counters, backlog);
      }
      let st = await statIfExists(path);
      // Renamed away and back (an editor, a tool's temporary rename) while still open: no rotation after all.
      if (rotated && st && sameFile(rotated, st)) {
        current = rotated;
        rotated = undefined;
      }
      // Renamed, deleted or replaced (by another file or a symlink to one): the handle still reads the old inode.
      if (current && (st === undefined || !sameFile(current, st))) beginRotation(current);
      if (rotated) {
        if (!(await drainRotated(rotated, buffer))) return;
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
      current ??= await openPath(buffer);
      if (sameFile(current, st) && Number(st.size) < current.offset) {
        log.info('File truncated, reading it again from the start', { source: id });
        current.offset = 0;
        current.splitter.reset();
        note(current);
      }
      await readToEnd(current, buffer, push, () => stopping, counters, backlog);
      lastWarning = undefined;
    } catch (e) {
      reportRead(e);
    }
  }

  function poke(): void {
    if (tickQueued || stopping) return;
    tickQueued = true;
    chain = chain.then(() => {
      tickQueued = false;
      return buffers.use(tick);
    });
  }

  return {
    id,
    get idle() {
      return current === undefined && rotated === undefined;
    },
    holds: (file) => (current !== undefined && sameFile(current, file)) || (rotated !== undefined && sameFile(rotated, file)),
    async start() {
      chain = chain.then(() => buffers.use(async (buffer) => {
        try {
          await resume(buffer);
        } catch (e) {
          // PATH is there but unreadable (or the store failed): retried by the poll; start at its end then.
          openAtEnd = resumeAt === undefined && !readFromStart;
          reportRead(e);
        }
      }));
      await chain;
    },
    poke,
    flush: () => saver.flush(),
    async stop() {
      if (stopping) return;
      stopping = true;
      cancelRecheck?.();
      await chain;
      await saver.close();
      await close(rotated);
      await close(current);
      rotated = undefined;
      current = undefined;
    },
  };
}
