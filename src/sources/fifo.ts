/**
 * The FIFO source: a named pipe that syslog-ng or rsyslog writes to (the old tool's preferred input).
 *
 * - Missing at start: created with `mkfifo -m 0600` (Node has no mkfifo), so only root can forge lines.
 * - Start never blocks: the read end is opened O_RDONLY|O_NONBLOCK, which succeeds with no writer.
 * - Writers come and go without a busy loop: the source also holds a write descriptor on its own FIFO (never
 *   written to). The kernel reports end-of-file only when the last writer closes, and that is never, so the
 *   reader just waits in epoll for the next writer's data. (Reopening on each EOF would also work, but leaves
 *   a window in which a writer that opens with O_NONBLOCK fails with ENXIO.)
 * - Whole lines only: a line is handed on once its newline arrives. The price of the held write end is that
 *   a writer that dies in the middle of a line is not noticed: its fragment is joined to the next writer's
 *   first line. Syslog daemons write whole lines, and lines of up to PIPE_BUF (4 KiB) bytes are atomic.
 * - Every `retryMs` the path is checked: a FIFO deleted (or replaced) while open is reopened (recreated if
 *   missing), and a failure to create or open it is a warning, retried.
 * There is no position: what was written while the daemon was down is gone (or, if the writer blocked, read
 * as soon as the FIFO is opened again).
 */
import { close as closeCb, constants, fstat as fstatCb, open as openCb, type BigIntStats } from 'node:fs';
import { Socket } from 'node:net';
import { exec } from '../core/exec.js';
import type { LogLine } from '../core/types.js';
import { errorMessage, sameFile, statIfExists } from './file-reader.js';
import { createLineSplitter } from './line-splitter.js';
import { newSourceCounters, type Source, type SourceDeps } from './source.js';
import { pumpLines } from './stream-lines.js';
import { createLifecycle } from './lifecycle.js';

export interface FifoSourceOptions {
  /** Absolute path of the named pipe. */
  readonly path: string;
  /** How often the path is checked (and a failed open retried). Default 1000 ms. */
  readonly retryMs?: number;
}

// Raw descriptors rather than FileHandles: the read end is handed to a net.Socket, which then owns it.
const openFd = (path: string, flags: number): Promise<number> =>
  new Promise((resolve, reject) => openCb(path, flags, (e, fd) => (e ? reject(e) : resolve(fd))));
const closeFd = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => closeCb(fd, (e) => (e ? reject(e) : resolve())));
const fstatFd = (fd: number): Promise<BigIntStats> =>
  new Promise((resolve, reject) => fstatCb(fd, { bigint: true }, (e, st) => (e ? reject(e) : resolve(st))));

interface Opened {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly socket: Socket;
  readonly writeFd: number;
  readonly detach: () => void;
}

export function createFifoSource(options: FifoSourceOptions, deps: SourceDeps): Source {
  const { path } = options;
  const id = `fifo:${path}`;
  const retryMs = options.retryMs ?? 1000;
  const { clock, log, maxLineLength } = deps;
  const counters = newSourceCounters();

  let onLines: (lines: LogLine[]) => void = () => undefined;
  let stopping = false;
  let opened: Opened | undefined;
  let cancelTimer: (() => void) | undefined;
  let checking: Promise<void> = Promise.resolve();
  let lastWarning: string | undefined;
  const lifecycle = createLifecycle(id);

  const warn = (message: string): void => {
    counters.errors++;
    if (message === lastWarning) return;
    lastWarning = message;
    log.warn(message, { source: id });
  };

  const deliver = (texts: string[]): void => {
    const receivedAt = clock.now();
    counters.lines += texts.length;
    try {
      onLines(texts.map((text): LogLine => ({ text, source: id, receivedAt })));
    } catch (e) {
      warn(`Cannot hand on lines from "${path}": ${errorMessage(e)}`);
    }
  };

  async function create(): Promise<void> {
    const r = await exec(['mkfifo', '-m', '0600', path], { timeoutMs: 10_000 });
    if (!r.ok) throw new Error(r.error);
    // A FIFO made by someone else between our stat and mkfifo is fine: it is checked like any other.
    if (r.value.code !== 0 && !/exists/i.test(r.value.stderr)) throw new Error(r.value.stderr.trim() || `mkfifo exited ${r.value.code}`);
    log.info(`Created FIFO "${path}" (mode 0600)`, { source: id });
  }

  async function openFifo(): Promise<Opened> {
    let st = await statIfExists(path);
    if (st === undefined) {
      await create();
      st = await statIfExists(path);
      if (st === undefined) throw new Error('it vanished right after mkfifo');
    }
    if (!st.isFIFO()) throw new Error('not a FIFO (named pipe); remove it or choose another path');
    if ((Number(st.mode) & 0o022) !== 0) {
      log.warn(`FIFO "${path}" is writable by group or others: whoever can write to it can forge log lines`, { source: id });
    }
    const readFd = await openFd(path, constants.O_RDONLY | constants.O_NONBLOCK);
    let writeFd: number | undefined;
    try {
      const rst = await fstatFd(readFd);
      // Checked on the descriptor too: the name may have been swapped for something else after the stat.
      if (!rst.isFIFO()) throw new Error('not a FIFO (named pipe)');
      writeFd = await openFd(path, constants.O_WRONLY | constants.O_NONBLOCK);
      const wst = await fstatFd(writeFd);
      if (!sameFile(rst, wst)) throw new Error('the path changed while it was being opened');
      // libuv reads the pipe through epoll, without blocking a thread-pool thread.
      const socket = new Socket({ fd: readFd, readable: true, writable: false });
      socket.on('error', (e: unknown) => warn(`Cannot read FIFO "${path}": ${errorMessage(e)}`));
      // Not expected while we hold a write end; should it happen, the next check opens the FIFO again.
      socket.on('close', () => {
        if (opened?.socket === socket) void closeFifo();
      });
      const splitter = createLineSplitter(maxLineLength, counters);
      const detach = pumpLines(socket, splitter, counters, deliver);
      return { dev: rst.dev, ino: rst.ino, socket, writeFd, detach };
    } catch (e) {
      await closeFd(readFd).catch(() => undefined);
      if (writeFd !== undefined) await closeFd(writeFd).catch(() => undefined);
      throw e;
    }
  }

  async function closeFifo(): Promise<void> {
    const o = opened;
    opened = undefined;
    if (!o) return;
    o.detach();
    o.socket.destroy();
    await closeFd(o.writeFd).catch(() => undefined);
  }

  /** Opens the FIFO if it is not open, or reopens it if its path now names another file (or none). */
  async function check(): Promise<void> {
    if (stopping) return;
    try {
      if (opened) {
        const st = await statIfExists(path);
        if (st !== undefined && sameFile(st, opened)) return;
        log.warn(`FIFO "${path}" was ${st === undefined ? 'deleted' : 'replaced'}; opening it again`, { source: id });
        await closeFifo();
      }
      opened = await openFifo();
      if (stopping) await closeFifo();
      lastWarning = undefined;
    } catch (e) {
      warn(`Cannot open FIFO "${path}": ${errorMessage(e)}`);
    }
  }

  function arm(): void {
    cancelTimer = clock.setTimer(clock.now() + retryMs, () => {
      cancelTimer = undefined;
      if (stopping) return;
      checking = checking.then(check);
      arm();
    });
  }

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    cancelTimer?.();
    await checking;
    await closeFifo();
    lifecycle.done();
  }

  return {
    id,
    counters,
    async start(callback, signal) {
      const go = lifecycle.begin(signal, stop);
      onLines = callback;
      if (!go) return stop();
      checking = check();
      await checking;
      if (!stopping) arm();
    },
    stopped: lifecycle.stopped,
  };
}
