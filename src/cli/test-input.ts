import { closeSync, openSync, readSync } from 'node:fs';
import { createLineSplitter, type LineSink } from '../sources/line-splitter.js';

/** What `numberedLines` left out or flagged, for the report. */
export interface InputCounters {
  /** Lines over the cap: never buffered whole, never decoded, never matched. */
  overlong: number;
  /** Lines with a NUL byte: binary data, dropped (as the sources drop them). */
  binary: number;
  /** Lines with invalid UTF-8 (decoded with U+FFFD): delivered and matched all the same. */
  invalid: number;
}

/** Lines of the input: `lines[k]` is line number `first + places[k]`; lines left out are not in it. */
export interface LineBatch {
  readonly first: number;
  readonly lines: readonly string[];
  readonly places: readonly number[];
}

/** A {@link LineSink} that is told line numbers: true when it took line `n`, `b[start, end)`. */
export type NumberedSink = (b: Buffer, start: number, end: number, n: number) => boolean;

/**
 * The lines of a byte stream with their numbers, for `dictdefence test`: an author wants "line 1234" to be
 * line 1234 of the file. The daemon's own line splitter does the work, so a line is cut, capped, dropped or
 * decoded exactly as a source would; memory stays bounded by `cap`. CR LF loses its CR. Empty, overlong and
 * binary lines (counted) and the lines a `sink` takes are left out; the numbers count them all the same.
 * With a sink and `text`, the lines the sink does not take go to `text` as they come, among those it takes,
 * and the batches hold only a last line without a newline: for a caller whose verdicts depend on the order
 * of the lines, as a tracker's windows and bans do. Without `text`, a batch's lines come after the lines the
 * sink took from the same chunk.
 */
export async function* numberedLines(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer>, cap: number, counters: InputCounters, sink?: NumberedSink,
  text?: (line: string, n: number) => void,
): AsyncGenerator<LineBatch> {
  const splitter = createLineSplitter(cap, counters, { keepPlaces: true });
  let first = 1;
  // The splitter hands a line to `text` before it counts its place: `placed` is then that line's.
  const inOrder = text && ((line: string): void => { text(line, first + splitter.placed); });
  const offer: LineSink | undefined = sink && { take: (b, s, e, i) => sink(b, s, e, first + i), ...(inOrder ? { text: inOrder } : {}) };
  for await (const raw of chunks) {
    const lines = splitter.push(typeof raw === 'string' ? Buffer.from(raw) : raw, offer);
    if (lines.length > 0) yield { first, lines, places: splitter.places };
    first += splitter.placed;
  }
  const lines = splitter.flush();
  if (lines.length > 0) yield { first, lines, places: splitter.places };
}

/**
 * A file's bytes in chunks of one reused 1 MiB buffer, read synchronously: a test run has nothing else to do
 * meanwhile, and a stream's thread-pool round trip per 64 KiB chunk cost ~15% of a run (profiled). Each chunk
 * is overwritten by the next: the line splitter copies what it keeps.
 */
export function* fileChunks(path: string): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}
