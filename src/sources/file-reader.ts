import { open, stat, type FileHandle } from 'node:fs/promises';
import { readSync, type BigIntStats } from 'node:fs';
import { createLineSplitter, type LineSplitter } from './line-splitter.js';
import { onLocalFilesystem } from './local-fs.js';
import type { Position, SourceCounters } from './source.js';

/**
 * Identity of a file. Inode numbers can exceed 2^53 (XFS, btrfs), so they are kept as bigints and saved as
 * decimal strings. Both device and inode must match: an inode number alone is reused across filesystems.
 */
export interface FileId {
  readonly dev: bigint;
  readonly ino: bigint;
  /**
   * Creation time (ns) where the filesystem records one, else 0 or absent. Filesystems reuse a deleted
   * file's inode number at once (ext4, tmpfs), so without it a file deleted and recreated while nobody
   * looked would pass for the old one and be read from the old offset.
   */
  readonly birthtimeNs?: bigint;
}

/** Where reading stopped: `offset` is always a line boundary (see LineSplitter.pending). */
export interface FilePosition extends FileId {
  readonly offset: number;
}

/** One open log file: the handle keeps the inode readable after a rename or unlink. */
export interface FollowedFile extends FileId {
  readonly handle: FileHandle;
  readonly splitter: LineSplitter;
  /** Next byte to read. */
  offset: number;
  /** On a local filesystem: what was just appended may be read without the thread pool (readAppendedSync). */
  readonly local: boolean;
}

export const sameFile = (a: FileId, b: FileId): boolean =>
  a.dev === b.dev && a.ino === b.ino && (!a.birthtimeNs || !b.birthtimeNs || a.birthtimeNs === b.birthtimeNs);

export const positionOf = (file: FollowedFile): FilePosition => ({
  dev: file.dev,
  ino: file.ino,
  ...(file.birthtimeNs ? { birthtimeNs: file.birthtimeNs } : {}),
  offset: file.offset - file.splitter.pending,
});

export const encodePosition = (p: FilePosition): Position => ({
  dev: p.dev.toString(),
  ino: p.ino.toString(),
  ...(p.birthtimeNs ? { birth: p.birthtimeNs.toString() } : {}),
  offset: p.offset,
});

const toBigInt = (v: string | number | undefined): bigint | undefined => {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  return undefined;
};

/** Reads a saved position; anything malformed counts as none (the caller warns). */
export function decodePosition(p: Position): FilePosition | undefined {
  const dev = toBigInt(p.dev);
  const ino = toBigInt(p.ino);
  const offset = p.offset;
  if (dev === undefined || ino === undefined) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  // Positions saved before the birth time was kept have none: they match on device and inode alone.
  const birthtimeNs = p.birth === undefined ? undefined : toBigInt(p.birth);
  return { dev, ino, ...(birthtimeNs ? { birthtimeNs } : {}), offset };
}

export const errorCode = (e: unknown): string | undefined =>
  e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Stats `path`; `undefined` when it does not exist (any other error is thrown). */
export async function statIfExists(path: string): Promise<BigIntStats | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (e) {
    const code = errorCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Opens `path` at offset 0, or at its last line when given `atEnd` (a buffer to search with). The identity
 * comes from the handle, not from an earlier stat of the path: the name may have moved on in between.
 */
export async function openFollowed(
  path: string,
  maxLineLength: number,
  counters: SourceCounters,
  atEnd?: Buffer,
): Promise<{ file: FollowedFile; size: number }> {
  const handle = await open(path, 'r');
  try {
    const st = await handle.stat({ bigint: true });
    const splitter = createLineSplitter(maxLineLength, counters);
    const local = await onLocalFilesystem(path);
    const file: FollowedFile = { handle, dev: st.dev, ino: st.ino, birthtimeNs: st.birthtimeNs, offset: 0, splitter, local };
    const size = Number(st.size);
    if (atEnd) await seekToLastLine(file, size, atEnd, counters);
    return { file, size };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw e;
  }
}

/** Opens `path` only if it is still the file `id`; otherwise `undefined`. */
export async function openIfSame(
  path: string,
  id: FileId,
  maxLineLength: number,
  counters: SourceCounters,
): Promise<{ file: FollowedFile; size: number } | undefined> {
  const st = await statIfExists(path);
  if (st === undefined || !sameFile(st, id)) return undefined;
  const opened = await openFollowed(path, maxLineLength, counters);
  if (sameFile(opened.file, id)) return opened;
  await opened.file.handle.close().catch(() => undefined);
  return undefined;
}

/**
 * Moves `file` to the start of the line being written at its end, so that line is handed on whole once
 * finished. A last line longer than `buffer` is skipped up to its newline instead.
 */
export async function seekToLastLine(file: FollowedFile, size: number, buffer: Buffer, counters?: SourceCounters): Promise<void> {
  const length = Math.min(size, buffer.length);
  file.offset = size;
  if (length === 0) return;
  const { bytesRead } = await file.handle.read(buffer, 0, length, size - length);
  if (counters) counters.bytes += bytesRead;
  const nl = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
  if (nl !== -1) file.offset = size - length + nl + 1;
  else file.splitter.skipToNextLine();
}

/**
 * Reads from `file.offset` to the end of the file, one buffer at a time, handing on each chunk (to be split
 * into lines, `push`) before reading the next so memory stays bounded however far behind the reader is. Each read is an
 * asynchronous trip through libuv's thread pool, so timers, sockets and other sources run between two
 * chunks: a burst of a million lines does not starve the unban timer or the control socket. With `backlog`,
 * once a read fills `buffer`, the reads after it are sized by {@link nextReadSize}. Returns the number of
 * bytes read.
 */
export async function readToEnd(
  file: FollowedFile,
  buffer: Buffer,
  push: (file: FollowedFile, chunk: Buffer) => void,
  stopping: () => boolean,
  counters?: SourceCounters,
  backlog?: Backlog,
): Promise<number> {
  let total = 0;
  while (!stopping()) {
    const n = await readChunk(file, buffer, buffer.length, push, counters);
    if (n === 0) break;
    total += n;
    // A full buffer means more is waiting.
    if (n === buffer.length && backlog !== undefined && backlog.buffers.size > buffer.length) {
      const first = buffer.length;
      return total + await backlog.buffers.use((big) => readBacklog(file, big, first, push, stopping, backlog.now, counters));
    }
  }
  return total;
}

/** Reads `size` bytes at most at `file.offset` into `b` and hands them on; how many were read. */
async function readChunk(
  file: FollowedFile, b: Buffer, size: number, push: (file: FollowedFile, chunk: Buffer) => void, counters?: SourceCounters,
): Promise<number> {
  const { bytesRead } = await file.handle.read(b, 0, size, file.offset);
  if (bytesRead === 0) return 0;
  file.offset += bytesRead;
  if (counters) counters.bytes += bytesRead;
  push(file, b.subarray(0, bytesRead));
  return bytesRead;
}

/**
 * `readToEnd` in a backlog: reads into `big`, sized by how long each chunk took to hand on. The read itself is
 * not timed: the event loop is free meanwhile, and may be running another file's chunk.
 */
async function readBacklog(
  file: FollowedFile, big: Buffer, first: number, push: (file: FollowedFile, chunk: Buffer) => void,
  stopping: () => boolean, now: () => number, counters?: SourceCounters,
): Promise<number> {
  let total = 0;
  let size = nextReadSize(first, 0, first, big.length);
  let took = 0;
  const timed = (f: FollowedFile, chunk: Buffer): void => {
    const started = now();
    push(f, chunk);
    took = now() - started;
  };
  while (!stopping()) {
    const n = await readChunk(file, big, size, timed, counters);
    if (n === 0) break;
    total += n;
    size = nextReadSize(size, took, first, big.length);
  }
  return total;
}

/** Where a backlog's reads come from (file.ts makes one per source), and the clock that times them. */
export interface Backlog {
  readonly buffers: BufferPool;
  readonly now: () => number;
}

/**
 * The size of a backlog's next read after one of `size` bytes took `tookMs` to hand on: twice as
 * much (up to `max`) while a chunk takes less than BACKLOG_CHUNK_MS, half as much (down to `min`) once one
 * takes more than twice that, else the same. So a chunk holds the event loop about BACKLOG_CHUNK_MS at most
 * whatever the jails make of its lines, and is as big as that allows.
 */
export function nextReadSize(size: number, tookMs: number, min: number, max: number): number {
  if (tookMs < BACKLOG_CHUNK_MS) return Math.min(max, size * 2);
  if (tookMs > 2 * BACKLOG_CHUNK_MS) return Math.max(min, Math.floor(size / 2));
  return size;
}

/**
 * One read of what was appended, done at once instead of through the thread pool, for a file on a local
 * filesystem (its fresh data is in the page cache: microseconds, and no server to hang on). The trip saved
 * is a quarter to half a millisecond of every ban's latency. One buffer at most, so a backlog still goes the
 * asynchronous way (readToEnd) and cannot hold up the daemon. Returns whether the read came back short of the
 * buffer, i.e. reached the end as it was then: a later append wakes the follower again.
 */
export function readAppendedSync(
  file: FollowedFile,
  buffer: Buffer,
  push: (file: FollowedFile, chunk: Buffer) => void,
  counters?: SourceCounters,
): boolean {
  const bytesRead = readSync(file.handle.fd, buffer, 0, buffer.length, file.offset);
  if (bytesRead > 0) {
    file.offset += bytesRead;
    if (counters) counters.bytes += bytesRead;
    push(file, buffer.subarray(0, bytesRead));
  }
  return bytesRead < buffer.length;
}

/** What one read of a followed file asks for: a line just written, or a few hundred, is one read. */
export const READ_SIZE = 64 * 1024;
/**
 * The most a backlog's read asks for once a read filled its buffer (a backlog: a file read from its start, a
 * restart after downtime, a flood). Every jail of the source then gets its share of up to ~9,000 lines at
 * once instead of ~550, and runs its filter's code on them while that code is hot. The bench's 17 jails on its
 * mixed corpus (bench/library-run.mjs, medians of 11, interleaved): 1,785 ms with 64 KiB reads throughout,
 * 1,664 with 512 KiB, 1,597 with 1 MiB; 1,571 against 1,623 with 2 MiB in another run. The sshd jail alone on
 * the sshd corpus: 780 → 773 ms. How much of it a read asks for depends on how long the jails took over the
 * last chunk (`nextReadSize`); the buffer is dropped after the backlog.
 */
export const BACKLOG_READ_SIZE = 1024 * 1024;
/**
 * How long a backlog's chunk may hold the event loop, about: the control socket's answer and a timer wait
 * for it, a few times over (an answer takes a few turns of the loop). The bench's million sshd lines appended
 * at once to a followed file (one sshd jail, SQLite, `status` asked every 50 ms): read 1 MiB at a time
 * throughout, the slowest `status` took 470-540 ms while the first bans were stored (~150 ms a chunk); 64 KiB
 * at a time, 34-37 ms; sized this way, 57-65 ms, the million lines read in 4.4-5.1 s (with 64 KiB reads,
 * 4.9-5.4 s), peak RSS 112-114 against 109 MiB.
 */
export const BACKLOG_CHUNK_MS = 10;

/** Read buffers shared by the files of one source, so a glob over many files does not hold 64 KiB each. */
export interface BufferPool {
  /** Length of every buffer it hands out. */
  readonly size: number;
  /** Runs `fn` with a buffer of its own for as long as it runs; the buffer goes back to the pool after. */
  use<T>(fn: (buffer: Buffer) => Promise<T>): Promise<T>;
}

/** Keeps up to `keep` idle buffers; more are made while more reads run at once, and then dropped. */
export function createBufferPool(size: number, keep = 4): BufferPool {
  const free: Buffer[] = [];
  return {
    size,
    async use(fn) {
      const buffer = free.pop() ?? Buffer.allocUnsafe(size);
      try {
        return await fn(buffer);
      } finally {
        if (free.length < keep) free.push(buffer);
      }
    },
  };
}
