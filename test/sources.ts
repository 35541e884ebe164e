/** Helpers for source tests: an in-memory position store, a recording logger and a polling wait. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { realClock } from '../src/core/clock.js';
import type { Logger } from '../src/core/log.js';
import type { LogLine } from '../src/core/types.js';
import { createFileSource, type FileSourceOptions } from '../src/sources/file.js';
import type { Position, PositionStore, Source, SourceDeps } from '../src/sources/source.js';

export class MemoryPositions implements PositionStore {
  readonly saved = new Map<string, Position>();
  saves = 0;
  async getPosition(key: string): Promise<Position | undefined> {
    return this.saved.get(key);
  }
  async setPosition(key: string, position: Position): Promise<void> {
    this.saves++;
    this.saved.set(key, position);
  }
}

export interface RecordingLogger extends Logger {
  readonly warnings: string[];
}

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = [];
  return {
    level: 'debug', warnings,
    error: (m) => { warnings.push(m); },
    warn: (m) => { warnings.push(m); },
    info() {},
    debug() {},
  };
}

/** Waits until `cond` holds, checking every few milliseconds; fails with `what` after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A short pause that lets inotify and a poll or two run, for asserting that nothing (more) arrives. */
export const settle = (ms = 200): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dd-source-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sourceDeps(positions: PositionStore, log: Logger = recordingLogger(), maxLineLength = 8192): SourceDeps {
  return { clock: realClock, log, positions, maxLineLength };
}

/** A started source and the texts it delivered, in order. */
export interface Running {
  readonly source: Source;
  readonly texts: string[];
  readonly batches: LogLine[][];
  stop(): Promise<void>;
}

export async function run(source: Source): Promise<Running> {
  const texts: string[] = [];
  const batches: LogLine[][] = [];
  const controller = new AbortController();
  await source.start((lines) => {
    batches.push(lines);
    for (const l of lines) texts.push(l.text);
  }, controller.signal);
  return {
    source, texts, batches,
    async stop() {
      controller.abort();
      await source.stopped();
    },
  };
}

/** Text of whole lines, each with its newline. */
export const lines = (...texts: string[]): string => texts.map((t) => `${t}\n`).join('');

export interface FileHarness {
  /** A fresh temp folder per test. */
  dir: string;
  /** `DIR/auth.log`, not created. */
  file: string;
  positions: MemoryPositions;
  /** Starts a file source on `file` polling every 50 ms; it is stopped after the test if still running. */
  follow(opts?: Partial<FileSourceOptions>, deps?: SourceDeps): Promise<Running>;
  /** Stops a source started by `follow` (as a daemon stop would: abort, then wait for `stopped`). */
  stop(r: Running): Promise<void>;
}

/** Registers the per-test temp folder and cleanup for file source tests. */
export function fileHarness(): FileHarness {
  const running: Running[] = [];
  let remove = (): void => undefined;
  const h: FileHarness = {
    dir: '', file: '', positions: new MemoryPositions(),
    async follow(opts = {}, deps = sourceDeps(h.positions)) {
      const r = await run(createFileSource({ path: h.file, pollIntervalMs: 50, ...opts }, deps));
      running.push(r);
      return r;
    },
    async stop(r) {
      running.splice(running.indexOf(r), 1);
      await r.stop();
    },
  };
  beforeEach(() => {
    const t = tempDir();
    remove = t.remove;
    h.dir = t.dir;
    h.file = join(t.dir, 'auth.log');
    h.positions = new MemoryPositions();
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
    remove();
  });
  return h;
}
