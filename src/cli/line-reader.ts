/**
 * Splits a stream of byte chunks into whole lines without copying more than the tail of each chunk. CR LF
 * endings lose their CR; a last line without a newline is still delivered at the end.
 */
export async function* readLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string[]> {
  let rest: Buffer | undefined;
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const last = chunk.lastIndexOf(10);
    if (last === -1) { rest = rest ? Buffer.concat([rest, chunk]) : chunk; continue; }
    const head = rest ? Buffer.concat([rest, chunk.subarray(0, last)]) : chunk.subarray(0, last);
    rest = last + 1 < chunk.length ? chunk.subarray(last + 1) : undefined;
    const lines = head.toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as string;
      if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
    }
    yield lines;
  }
  if (rest && rest.length > 0) {
    const l = rest.toString('utf8');
    yield [l.endsWith('\r') ? l.slice(0, -1) : l];
  }
}
