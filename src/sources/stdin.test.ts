import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPositions, recordingLogger, run, settle, sourceDeps, until, type Running } from '../../test/sources.js';
import { createStdinSource } from './stdin.js';

const running: Running[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((r) => r.stop())); });

async function follow(stream: PassThrough): Promise<Running> {
  const r = await run(createStdinSource({ stream }, sourceDeps(new MemoryPositions(), recordingLogger())));
  running.push(r);
  return r;
}

describe('stdin source', () => {
  it('delivers whole lines as they are piped in, CRLF or LF, split anywhere', async () => {
    const input = new PassThrough();
    const r = await follow(input);
    input.write('one\r\ntw');
    await settle(20);
    expect(r.texts).toEqual(['one']);
    input.write('o\nthree\n');
    await until(() => r.texts.length >= 3);
    expect(r.texts).toEqual(['one', 'two', 'three']);
    expect(r.batches[0]?.[0]?.source).toBe('stdin');
  });

  it('hands on an unterminated last line when the input ends, and keeps running', async () => {
    const input = new PassThrough();
    const r = await follow(input);
    input.end('first\nlast without newline');
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['first', 'last without newline']);
  });

  it('feeds every stdin source (one per jail) every line', async () => {
    const input = new PassThrough();
    const [a, b] = [await follow(input), await follow(input)];
    input.write('shared\n');
    await until(() => a.texts.length >= 1 && b.texts.length >= 1);
    expect([a.texts, b.texts]).toEqual([['shared'], ['shared']]);
  });

  it('reads a large input a chunk per turn of the event loop, letting timers run in between', async () => {
    const input = new PassThrough({ highWaterMark: 64 * 1024 });
    const r = await follow(input);
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 1);
    const line = `${'x'.repeat(99)}\n`;
    const chunk = line.repeat(655);
    for (let i = 0; i < 300; i++) if (!input.write(chunk)) await new Promise((resolve) => input.once('drain', resolve));
    input.end();
    await until(() => r.texts.length >= 300 * 655, 20_000);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(2);
    expect(r.source.counters.bytes).toBe(300 * chunk.length);
  });
});
