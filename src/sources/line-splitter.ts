import { isAscii } from 'node:buffer';
import type { SourceCounters } from './source.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Turns a stream of byte chunks into whole lines. Chunk borders fall anywhere — inside a line, inside a
 * multi-byte UTF-8 sequence, between CR and LF — so bytes after the last newline are carried over, and lines
 * are decoded only once whole. Memory stays bounded: the carry never holds more than one line's cap.
 */
export interface LineSplitter {
  /**
   * Returns the lines that `chunk` completes, in order. Copies what it keeps, so the caller may reuse the
   * chunk's buffer. Empty lines are skipped; overlong ones are dropped and counted. With a `sink`, lines that
   * are ASCII without NUL are first offered to it as bytes; those it takes are not decoded nor returned. A
   * line returned may then precede in the chunk a line the sink took, unless the sink has `text`.
   */
  push(chunk: Buffer, sink?: LineSink): string[];
  /**
   * Hands on the unterminated tail as a line. Only for a file nobody writes to any more (a rotated file
   * after its grace period): its last line is then as whole as it will ever be.
   */
  flush(): string[];
  /** Forgets the unterminated tail: the file was truncated beneath it, so its end will never come. */
  reset(): void;
  /** Ignores bytes up to and including the next newline, uncounted: reading began in the middle of a line. */
  skipToNextLine(): void;
  /**
   * Bytes taken in since the last line boundary (carried, or being discarded). The reader's offset minus
   * this is where a restart must resume so that it neither skips nor repeats a line.
   */
  readonly pending: number;
  /**
   * How many lines the last `push` or `flush` ended, whatever became of them (returned, taken by the sink,
   * dropped): line places, for a caller that numbers lines.
   */
  readonly placed: number;
  /** With keepPlaces: the place (0 ≤ place < `placed`) of each line the last `push` or `flush` returned. */
  readonly places: readonly number[];
}

/** Takes lines as bytes, before any string is made of them (`dictdefence test` on the fast path). */
export interface LineSink {
  /**
   * The line `b[start, end)`: ASCII, no NUL, no CR LF, within the cap. `index` is its place among the lines
   * this `push` ends (see `placed`). False: decode it and return it as usual.
   */
  take(b: Buffer, start: number, end: number, index: number): boolean;
  /**
   * With it, every line the sink does not take is handed here as text, in the order of the chunk among the
   * lines taken (`push` then returns none): for a caller whose lines must be handled in order. Such a sink is
   * also offered the lines cut one at a time (one carried across two chunks, those before a NUL).
   */
  text?(line: string): void;
}

type LineCounters = Pick<SourceCounters, 'overlong' | 'invalid' | 'binary'>;

export interface LineSplitterOptions {
  /**
   * Note the place of each line returned (`places`), so that a caller can number lines although empty,
   * overlong, binary and taken ones are not returned (`dictdefence test`: "line 1234" is line 1234 of the file).
   */
  readonly keepPlaces?: boolean;
}

/** `maxLineLength` is in bytes, excluding the newline and a CR before it. */
export function createLineSplitter(maxLineLength: number, counters: LineCounters, options: LineSplitterOptions = {}): LineSplitter {
  const keepPlaces = options.keepPlaces === true;
  // One byte more than the cap: a line of exactly the cap may still carry the CR of a CRLF ending.
  const maxCarry = maxLineLength + 1;
  let carry: Buffer | undefined;
  let discarding = false;
  let discarded = 0;
  /** The previous chunk ended inside a run of NULs at a line start (see skipHole). */
  let inHole = false;

  const reset = (): void => {
    carry = undefined;
    discarding = false;
    discarded = 0;
    inHole = false;
  };

  // With keepPlaces: how many line places this push (or flush) has used, and the place of each line delivered.
  let placed = 0;
  let places: number[] = [];
  /** A line that is not delivered: its place is used all the same. */
  const drop = (): void => { placed++; };
  /** The sink of the `push` running, if it takes the lines it does not take as text too. */
  let inOrder: LineSink | undefined;
  /** A line delivered. */
  const deliver = (out: string[], text: string): void => {
    if (inOrder !== undefined) inOrder.text!(text);
    else out.push(text);
    if (keepPlaces) places.push(placed);
    placed++;
  };

  const take = (bytes: Buffer, out: string[]): void => {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length;
    if (end === 0) return drop();
    if (end > maxLineLength) {
      counters.overlong++;
      return drop();
    }
    // No text log line holds a NUL: it is binary data (a core dump, a disk image, a corrupt block), dropped
    // whole so that a regex never sees half of it.
    if (bytes.indexOf(0) !== -1) {
      counters.binary++;
      return drop();
    }
    // Offered only to a sink that takes the rest as text; without `text`, a sink gets these lines back as before.
    if (inOrder !== undefined && isAscii(bytes.subarray(0, end)) && inOrder.take(bytes, 0, end, placed)) return drop();
    const text = bytes.toString('utf8', 0, end);
    // Invalid UTF-8 (a Latin-1 user name) decodes to U+FFFD and still passes: the address in it is ASCII.
    if (text.includes('\uFFFD')) counters.invalid++;
    deliver(out, text);
  };

  /**
   * Skips NULs where a line begins. A writer without O_APPEND keeps writing at its old offset after a
   * copytruncate, so the file starts with a hole of NULs followed by real lines: the hole is skipped (and
   * counted once), the line after it is kept.
   */
  const skipHole = (chunk: Buffer, start: number): number => {
    if (chunk[start] !== 0) return start;
    let i = start;
    while (i < chunk.length && chunk[i] === 0) i++;
    if (!inHole) counters.binary++;
    inHole = i === chunk.length;
    return i;
  };

  /**
   * The lines of `chunk[start, last)` (`last` is a newline) when it holds no NUL: decoded in one piece and
   * split as a string, a few times faster than a `Buffer` and a decode per line. Only for ASCII, where a line's
   * length is its length in bytes; any other text goes line by line (`take`), which measures bytes exactly.
   * Returns where the next line starts.
   */
  const bulk = (chunk: Buffer, start: number, last: number, out: string[], sink: LineSink | undefined): number => {
    if (!isAscii(chunk.subarray(start, last))) {
      for (let nl = chunk.indexOf(LF, start); nl !== -1 && nl <= last; nl = chunk.indexOf(LF, start)) {
        take(chunk.subarray(start, nl), out);
        start = nl + 1;
      }
      return start;
    }
    if (sink !== undefined) return offer(chunk, start, last, out, sink);
    for (let line of chunk.toString('latin1', start, last).split('\n')) {
      if (line.length > 0 && line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
      if (line.length === 0) {
        drop();
      } else if (line.length > maxLineLength) {
        counters.overlong++;
        drop();
      } else {
        deliver(out, line);
      }
    }
    return last + 1;
  };

  /** `bulk` with a sink: the same lines, each offered as bytes first. */
  const offer = (chunk: Buffer, start: number, last: number, out: string[], sink: LineSink): number => {
    for (let s = start; s <= last;) {
      const nl = chunk.indexOf(LF, s);
      const e = nl > s && chunk[nl - 1] === CR ? nl - 1 : nl;
      if (e === s) {
        drop();
      } else if (e - s > maxLineLength) {
        counters.overlong++;
        drop();
      } else if (sink.take(chunk, s, e, placed)) {
        drop();
      } else {
        deliver(out, chunk.toString('latin1', s, e));
      }
      s = nl + 1;
    }
    return last + 1;
  };

  const pushChunk = (chunk: Buffer, sink: LineSink | undefined): string[] => {
    const out: string[] = [];
    placed = 0;
    if (keepPlaces) places = [];
    let start = carry === undefined && !discarding ? skipHole(chunk, 0) : 0;
    if (start > 0 && start === chunk.length) return out;
    inHole = false;
    const last = chunk.lastIndexOf(LF);
    let nul = -2;
    for (let nl = chunk.indexOf(LF, start); nl !== -1; nl = chunk.indexOf(LF, start)) {
      if (carry === undefined && !discarding) {
        if (nul < start && nul !== -1) nul = chunk.indexOf(0, start);
        if (nul === -1 || nul > last) {
          start = bulk(chunk, start, last, out, sink);
          if (chunk[start] === 0) start = skipHole(chunk, start);
          break;
        }
      }
      if (discarding) {
        discarding = false;
        discarded = 0;
        drop();
      } else if (carry === undefined) {
        take(chunk.subarray(start, nl), out);
      } else if (carry.length + (nl - start) > maxCarry) {
        carry = undefined;
        counters.overlong++;
        drop();
      } else {
        const whole = Buffer.concat([carry, chunk.subarray(start, nl)]);
        carry = undefined;
        take(whole, out);
      }
      start = nl + 1;
      if (chunk[start] === 0) start = skipHole(chunk, start);
    }
    const tail = chunk.length - start;
    if (tail === 0) return out;
    if (discarding) {
      discarded += tail;
    } else if ((carry?.length ?? 0) + tail > maxCarry) {
      // Counted now, once: the rest of this line is thrown away as it arrives, never buffered.
      counters.overlong++;
      discarding = true;
      discarded = (carry?.length ?? 0) + tail;
      carry = undefined;
    } else {
      const rest = chunk.subarray(start);
      carry = carry === undefined ? Buffer.from(rest) : Buffer.concat([carry, rest]);
    }
    return out;
  };

  return {
    push(chunk, sink) {
      inOrder = sink?.text === undefined ? undefined : sink;
      try {
        return pushChunk(chunk, sink);
      } finally {
        inOrder = undefined;
      }
    },
    flush() {
      const out: string[] = [];
      placed = 0;
      if (keepPlaces) places = [];
      if (carry !== undefined && !discarding) take(carry, out);
      reset();
      return out;
    },
    reset,
    skipToNextLine() {
      carry = undefined;
      discarding = true;
      discarded = 0;
    },
    get placed() { return placed; },
    get places() { return places; },
    get pending() {
      return discarding ? discarded : (carry?.length ?? 0);
    },
  };
}
