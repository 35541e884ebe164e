import type { Clock } from '../core/clock.js';
import type { LogLine } from '../core/types.js';
import type { Logger } from '../core/log.js';

/** Where a source keeps its place between runs (file: inode + offset; journal: cursor). Opaque JSON. */
export type Position = Readonly<Record<string, string | number>>;

/** The slice of the store a source needs: its own position, by its own key. */
export interface PositionStore {
  getPosition(key: string): Promise<Position | undefined>;
  /** Saves are coalesced by the caller; a save that fails is logged and retried on the next one. */
  setPosition(key: string, position: Position): Promise<void>;
}

export interface SourceCounters {
  /** Lines delivered. */
  lines: number;
  /** Bytes read (files, FIFO, stdin, journalctl's output) or received (syslog messages). */
  bytes: number;
  /** Lines over the length cap, dropped before any regex sees them. */
  overlong: number;
  /** Lines with invalid UTF-8 (replaced by U+FFFD) — counted, the line still passes: the address is ASCII. */
  invalid: number;
  /** Lines or messages of binary data (NUL bytes), dropped. */
  binary: number;
  /** Syslog messages and connections refused: sender not in `allow`, or over the connection limit. */
  denied: number;
  /** Syslog messages cut to the message size limit. */
  truncated: number;
  errors: number;
}

export interface SourceDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly positions: PositionStore;
  /** Lines longer than this (bytes) are dropped and counted. */
  readonly maxLineLength: number;
}

/**
 * Handles one line given as bytes, before any string is made of it: `b[start, end)` is ASCII, holds no NUL and
 * is within the cap, and `b` is reused afterwards; `source` and `receivedAt` as in LogLine. Synchronous; must
 * not throw.
 */
export type TakeBytes = ((b: Buffer, start: number, end: number, source: string, receivedAt: number) => void) & {
  /**
   * Called once the chunk's lines have all been handed on (as bytes or as text), before its buffer is reused,
   * where the taker holds some back to hand on together (daemon/router-bytes.ts): it hands them on now. Until
   * then the taker may rely on the lines of one buffer coming in the order of the buffer. Synchronous; must
   * not throw.
   */
  readonly end?: () => void;
};

/**
 * A log source. `start` delivers whole lines only, in batches, in order, and resolves once the source is
 * following (a missing file is a warning, not a failure: it is picked up when it appears). It keeps going
 * until `signal` aborts; then it saves its position and `stopped()` resolves. `onLines` is synchronous and
 * must not throw; a source never delivers a partial line.
 */
export interface Source {
  readonly id: string;
  readonly counters: SourceCounters;
  /**
   * `takeBytes`, where given, is asked before each chunk a source reads as bytes (files only, today) who takes
   * its lines as bytes. When it answers with a taker, every line of the chunk that is ASCII, without NUL and
   * within the cap goes to the taker (counted as delivered), and the others are delivered in batches between
   * them, in the order of the file.
   */
  start(onLines: (lines: LogLine[]) => void, signal: AbortSignal, takeBytes?: () => TakeBytes | undefined): Promise<void>;
  /** Resolves when the source has stopped and saved its position. */
  stopped(): Promise<void>;
  /**
   * Saves the position of what was delivered so far now, rather than at the next coalesced save. The daemon
   * calls it right after it records a ban, so that a `kill -9` then does not make a restart read the lines
   * that led to the ban again (and ban again once that ban has expired).
   */
  flushPosition?(): Promise<void>;
}

export const newSourceCounters = (): SourceCounters => ({
  lines: 0, bytes: 0, overlong: 0, invalid: 0, binary: 0, denied: 0, truncated: 0, errors: 0,
});
