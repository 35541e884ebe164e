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
  lines: number;
  /** Lines over the length cap, dropped before any regex sees them. */
  overlong: number;
  /** Bytes that did not decode (binary, invalid UTF-8 replaced) — counted, the line still passes. */
  invalid: number;
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
 * A log source. `start` delivers whole lines only, in batches, in order, and resolves once the source is
 * following (a missing file is a warning, not a failure: it is picked up when it appears). It keeps going
 * until `signal` aborts; then it saves its position and `stopped()` resolves. `onLines` is synchronous and
 * must not throw; a source never delivers a partial line.
 */
export interface Source {
  readonly id: string;
  readonly counters: SourceCounters;
  start(onLines: (lines: LogLine[]) => void, signal: AbortSignal): Promise<void>;
  /** Resolves when the source has stopped and saved its position. */
  stopped(): Promise<void>;
}

export const newSourceCounters = (): SourceCounters => ({ lines: 0, overlong: 0, invalid: 0, errors: 0 });
