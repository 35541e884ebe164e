/** Helpers for source tests: an in-memory position store, a recording logger and a polling wait. */
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * A stand-in for `journalctl --follow --output=json` that replays recorded entries (a `journalctl -o json`
 * capture): it honours `--after-cursor` (fails as journalctl does on an unknown cursor), `--lines=0`,
 * `FIELD=VALUE` matches and `--follow` (entries appended to the recording later are printed as they come).
 * It records each argv, can be told to exit after printing N entries once (a crash), and notes SIGTERM.
 */
export interface JournalctlStandIn {
  /** The executable to give the source as `binary`. */
  readonly path: string;
  /** Every argv it was started with, in order. */
  calls(): string[][];
  /** Appends entries to the journal, as journald would. */
  append(entries: readonly string[]): void;
  /** The next run exits with code 3 after printing `n` entries. */
  crashAfter(n: number): void;
  /** How many runs ended by SIGTERM. */
  terminated(): number;
  remove(): void;
}

const JOURNALCTL = `#!${process.execPath}
// Test stand-in for journalctl: replays the recording beside it.
const fs = require('node:fs');
const me = process.argv[1];
const args = process.argv.slice(2);
const value = (name) => { const a = args.find((x) => x.startsWith(name + '=')); return a === undefined ? undefined : a.slice(name.length + 1); };
const matches = args.filter((a) => /^[A-Z_][A-Z0-9_]*=/.test(a)).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]);
const read = () => (fs.existsSync(me + '.jsonl') ? fs.readFileSync(me + '.jsonl', 'utf8').split('\\n').filter(Boolean) : []);
let crashAfter = 0;
if (fs.existsSync(me + '.crash')) { crashAfter = Number(fs.readFileSync(me + '.crash', 'utf8')); fs.rmSync(me + '.crash'); }
process.on('SIGTERM', () => { fs.appendFileSync(me + '.signals', 'TERM\\n'); process.exit(0); });
let entries = read();
let next = 0;
const after = value('--after-cursor');
if (after !== undefined) next = entries.findIndex((l) => JSON.parse(l).__CURSOR === after) + 1;
else if (value('--lines') === '0') next = entries.length;
// The call is recorded once where to start is settled: a test that waits for the call and then appends
// entries must see them all, not have some taken for the journal's old end.
fs.appendFileSync(me + '.calls', JSON.stringify(args) + '\\n');
if (after !== undefined && next === 0) { process.stderr.write('Failed to seek to cursor: Invalid argument\\n'); process.exit(1); }
let printed = 0;
const pump = () => {
  entries = read();
  while (next < entries.length) {
    const line = entries[next++];
    const e = JSON.parse(line);
    if (!matches.every(([k, v]) => e[k] === v)) continue;
    process.stdout.write(line + '\\n');
    if (crashAfter > 0 && ++printed >= crashAfter) process.exit(3);
  }
};
pump();
if (args.includes('--follow')) setInterval(pump, 10);
`;

export function createJournalctlStandIn(): JournalctlStandIn {
  const dir = mkdtempSync(join(tmpdir(), 'dd-journalctl-'));
  const path = join(dir, 'journalctl.cjs');
  writeFileSync(path, JOURNALCTL);
  chmodSync(path, 0o755);
  const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  return {
    path,
    calls: () => lines(`${path}.calls`).map((l) => JSON.parse(l) as string[]),
    append: (entries) => appendFileSync(`${path}.jsonl`, entries.map((e) => `${e}\n`).join('')),
    crashAfter: (n) => writeFileSync(`${path}.crash`, String(n)),
    terminated: () => lines(`${path}.signals`).length,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
