import type { LineSplitter } from './line-splitter.js';
import type { SourceCounters } from './source.js';

/** The slice of a Node.js readable stream the pump uses (sockets, pipes, process.stdin, child stdout). */
export interface ByteStream {
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/**
 * Feeds a stream's chunks through `splitter` and hands on each chunk's whole lines. After every chunk the
 * stream is paused until the next turn of the event loop (setImmediate), so a writer that floods us is held
 * back by the pipe or socket buffer (the kernel's back-pressure) instead of by our memory, and timers and the
 * control socket still run in between. Returns a function that detaches the pump.
 */
export function pumpLines(
  stream: ByteStream,
  splitter: LineSplitter,
  counters: Pick<SourceCounters, 'bytes'>,
  onTexts: (texts: string[]) => void,
): () => void {
  let detached = false;
  let resumeQueued = false;
  const onData = (chunk: Buffer | string): void => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counters.bytes += bytes.length;
    const texts = splitter.push(bytes);
    if (texts.length > 0) onTexts(texts);
    if (resumeQueued) return;
    resumeQueued = true;
    stream.pause();
    setImmediate(() => {
      resumeQueued = false;
      if (!detached) stream.resume();
    });
  };
  stream.on('data', onData);
  stream.resume();
  return () => {
    detached = true;
    stream.off('data', onData);
  };
}
