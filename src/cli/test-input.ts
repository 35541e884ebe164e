/** What `numberedLines` left out or flagged, for the report. */
export interface InputCounters {
  /** Lines over the cap: never buffered whole, never decoded, never matched. */
  overlong: number;
  /** Lines with a NUL byte: binary data, dropped (as the sources drop them). */
  binary: number;
  /** Lines with invalid UTF-8 (decoded with U+FFFD): delivered and matched all the same. */
  invalid: number;
}

export interface NumberedLine {
  /** 1-based line number in the input, counting every line (empty, overlong and binary ones too). */
  readonly n: number;
  readonly text: string;
}

const LF = 0x0a;

/**
 * The lines of a byte stream with their numbers, for `dictdefence test`: an author wants "line 1234" to be
 * line 1234 of the file. Memory stays bounded by `cap`: a longer line is counted and skipped as it streams
 * past, so a 1 GB line without a newline costs nothing. CR LF loses its CR; empty lines are not delivered.
 */
export async function* numberedLines(chunks: AsyncIterable<Buffer | string>, cap: number, counters: InputCounters): AsyncGenerator<NumberedLine[]> {
  let n = 0;
  let carry: Buffer[] = [];
  let carried = 0;
  let discarding = false;
  const finish = (bytes: Buffer, out: NumberedLine[]): void => {
    n++;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    if (end > cap) { counters.overlong++; return; }
    if (end === 0) return;
    if (bytes.indexOf(0) !== -1 && bytes.indexOf(0) < end) { counters.binary++; return; }
    const text = bytes.toString('utf8', 0, end);
    if (text.includes('\uFFFD')) counters.invalid++;
    out.push({ n, text });
  };
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const out: NumberedLine[] = [];
    let start = 0;
    // Fast path: the whole lines of a chunk without NUL are decoded at once and split as a string.
    const last = chunk.lastIndexOf(LF);
    if (!discarding && carried === 0 && last !== -1 && chunk.indexOf(0) === -1) {
      const text = chunk.toString('utf8', 0, last);
      const bad = text.includes('\uFFFD');
      for (const line of text.split('\n')) {
        n++;
        const l = line.endsWith('\r') ? line.slice(0, -1) : line;
        if (l.length > cap) { counters.overlong++; continue; }
        if (l.length === 0) continue;
        if (bad && l.includes('\uFFFD')) counters.invalid++;
        out.push({ n, text: l });
      }
      start = last + 1;
    }
    for (let nl = chunk.indexOf(LF, start); nl !== -1; nl = chunk.indexOf(LF, start)) {
      if (discarding) {
        n++;
        discarding = false;
      } else if (carried + nl - start > cap + 1) {
        n++;
        counters.overlong++;
      } else {
        finish(carried === 0 ? chunk.subarray(start, nl) : Buffer.concat([...carry, chunk.subarray(start, nl)]), out);
      }
      carry = [];
      carried = 0;
      start = nl + 1;
    }
    if (start < chunk.length && !discarding) {
      carried += chunk.length - start;
      if (carried > cap + 1) {
        counters.overlong++;
        discarding = true;
        carry = [];
        carried = 0;
      } else {
        carry.push(Buffer.from(chunk.subarray(start)));
      }
    }
    if (out.length > 0) yield out;
  }
  if (discarding) return;
  if (carried > 0) {
    const out: NumberedLine[] = [];
    finish(Buffer.concat(carry), out);
    if (out.length > 0) yield out;
  }
}
