/**
 * Splits a syslog TCP stream into messages. Each frame is either octet-counted (RFC 6587 §3.4.1:
 * `LENGTH SP MESSAGE`, what `logger --octet-count` and rsyslog's RFC 5425 style send) or newline-terminated
 * (§3.4.2, the traditional framing), decided per frame by its first byte: a digit starts a count, anything
 * else a line. A count that turns out not to be one (digits not followed by a space) is read as a line.
 *
 * Memory per connection is bounded by `maxMessage`: a longer message keeps its first `maxMessage` bytes
 * and is counted as truncated; the rest of its frame is skipped as it arrives, never buffered.
 */
import type { SourceCounters } from './source.js';

export interface SyslogFramer {
  /** The messages `chunk` completes, in order. Copies what it keeps, so the caller may reuse the chunk. */
  push(chunk: Buffer): Buffer[];
}

/** Where the framer is within a frame. */
const State = { Start: 0, Count: 1, Octets: 2, Line: 3 } as const;
type State = (typeof State)[keyof typeof State];
const LF = 0x0a, CR = 0x0d, SP = 0x20, NUL = 0, ZERO = 0x30, NINE = 0x39;
/** Nine digits: a count up to 999,999,999; anything longer is not a length. */
const MAX_DIGITS = 9;

export function createSyslogFramer(maxMessage: number, counters: Pick<SourceCounters, 'truncated'>): SyslogFramer {
  let state: State = State.Start;
  let digits: number[] = [];
  let remaining = 0;
  let parts: Buffer[] = [];
  let length = 0;
  let over = false;

  const append = (bytes: Buffer): void => {
    if (over || bytes.length === 0) return;
    if (length + bytes.length > maxMessage) {
      parts.push(bytes.subarray(0, maxMessage - length));
      length = maxMessage;
      over = true;
      return;
    }
    parts.push(bytes);
    length += bytes.length;
  };

  const emit = (out: Buffer[]): void => {
    if (length > 0) out.push(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length));
    if (over) counters.truncated++;
    parts = [];
    length = 0;
    over = false;
    state = State.Start;
  };

  return {
    push(chunk) {
      const out: Buffer[] = [];
      let i = 0;
      while (i < chunk.length) {
        const b = chunk[i] as number;
        if (state === State.Start) {
          // Stray separators between frames (a CRLF sender, a trailing NUL) are not messages.
          if (b === LF || b === CR || b === SP || b === NUL) i++;
          else if (b >= ZERO && b <= NINE) { state = State.Count; digits = []; }
          else state = State.Line;
        } else if (state === State.Count) {
          if (b >= ZERO && b <= NINE && digits.length < MAX_DIGITS) {
            digits.push(b);
            i++;
          } else if (b === SP && digits.length > 0) {
            i++;
            remaining = Number(String.fromCharCode(...digits));
            state = State.Octets;
            if (remaining === 0) emit(out);
          } else {
            append(Buffer.from(digits));
            state = State.Line;
          }
        } else if (state === State.Octets) {
          const take = Math.min(remaining, chunk.length - i);
          append(chunk.subarray(i, i + take));
          i += take;
          remaining -= take;
          if (remaining === 0) emit(out);
        } else {
          const nl = chunk.indexOf(LF, i);
          append(chunk.subarray(i, nl === -1 ? chunk.length : nl));
          if (nl === -1) i = chunk.length;
          else {
            i = nl + 1;
            emit(out);
          }
        }
      }
      // What is kept across chunks is copied, so it does not pin the whole chunk in memory.
      if (parts.length > 0) parts = [Buffer.concat(parts, length)];
      return out;
    },
  };
}
