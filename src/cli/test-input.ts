import { createLineSplitter } from '../sources/line-splitter.js';

/** What `numberedLines` left out or flagged, for the report. */
export interface InputCounters {
  /** Lines over the cap: never buffered whole, never decoded, never matched. */
  overlong: number;
  /** Lines with a NUL byte: binary data, dropped (as the sources drop them). */
  binary: number;
  /** Lines with invalid UTF-8 (decoded with U+FFFD): delivered and matched all the same. */
  invalid: number;
}

/** Lines `first`, `first + 1`, … of the input; `''` where a line was empty or dropped (counted). */
export interface LineBatch {
  readonly first: number;
  readonly lines: readonly string[];
}

/**
 * The lines of a byte stream with their numbers, for `dictdefence test`: an author wants "line 1234" to be
 * line 1234 of the file. The daemon's own line splitter does the work, so a line is cut, capped, dropped or
 * decoded exactly as a source would; memory stays bounded by `cap`. CR LF loses its CR.
 */
export async function* numberedLines(chunks: AsyncIterable<Buffer | string>, cap: number, counters: InputCounters): AsyncGenerator<LineBatch> {
  const splitter = createLineSplitter(cap, counters, { keepPlaces: true });
  let first = 1;
  for await (const raw of chunks) {
    const lines = splitter.push(typeof raw === 'string' ? Buffer.from(raw) : raw);
    if (lines.length === 0) continue;
    yield { first, lines };
    first += lines.length;
  }
  const lines = splitter.flush();
  if (lines.length > 0) yield { first, lines };
}
