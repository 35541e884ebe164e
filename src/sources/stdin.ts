/**
 * The stdin source: lines piped into `dictdefence run` (`tail -F log | dictdefence run`, or a replay:
 * `dictdefence run < yesterday.log` with `use_line_time: true` on the jail, so failures are timed by their
 * own timestamps). At end of input the unterminated last line, if any, is handed on (the input is complete,
 * so the line is too), and the source goes quiet; the daemon keeps running, so bans already made are lifted
 * on time. There is no position: a pipe cannot be rewound.
 *
 * Several stdin sources (one per jail) each see every line: each attaches its own listener to the stream.
 */
import type { LogLine } from '../core/types.js';
import { errorMessage } from './file-reader.js';
import { createLineSplitter } from './line-splitter.js';
import { newSourceCounters, type Source, type SourceDeps } from './source.js';
import { pumpLines, type ByteStream } from './stream-lines.js';

/** The stream slice the source needs; `process.stdin` in the daemon, a PassThrough in tests. */
export interface InputStream extends ByteStream {
  once(event: 'end', listener: () => void): unknown;
  once(event: 'error', listener: (e: Error) => void): unknown;
  readonly readableEnded?: boolean;
}

export interface StdinSourceOptions {
  readonly stream: InputStream;
}

export function createStdinSource(options: StdinSourceOptions, deps: SourceDeps): Source {
  const id = 'stdin';
  const { stream } = options;
  const { clock, log, maxLineLength } = deps;
  const counters = newSourceCounters();
  let started = false;
  let detach: (() => void) | undefined;
  let resolveStopped: () => void = () => undefined;
  const stoppedPromise = new Promise<void>((resolve) => { resolveStopped = resolve; });

  return {
    id,
    counters,
    async start(onLines, signal) {
      if (started) throw new Error(`Cannot start source "${id}": already started`);
      started = true;
      const deliver = (texts: string[]): void => {
        const receivedAt = clock.now();
        counters.lines += texts.length;
        try {
          onLines(texts.map((text): LogLine => ({ text, source: id, receivedAt })));
        } catch (e) {
          counters.errors++;
          log.warn(`Cannot hand on lines from standard input: ${errorMessage(e)}`, { source: id });
        }
      };
      const stop = (): void => {
        detach?.();
        detach = undefined;
        resolveStopped();
      };
      signal.addEventListener('abort', stop, { once: true });
      if (signal.aborted) return stop();
      const splitter = createLineSplitter(maxLineLength, counters);
      stream.once('end', () => {
        if (detach === undefined) return;
        const last = splitter.flush();
        if (last.length > 0) deliver(last);
        log.info(`Standard input ended after ${counters.lines} lines`, { source: id });
      });
      stream.once('error', (e) => {
        counters.errors++;
        log.warn(`Cannot read standard input: ${errorMessage(e)}`, { source: id });
      });
      detach = pumpLines(stream, splitter, counters, deliver);
    },
    stopped: () => stoppedPromise,
  };
}
