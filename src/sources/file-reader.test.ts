import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BACKLOG_CHUNK_MS, BACKLOG_READ_SIZE, READ_SIZE, createBufferPool, nextReadSize, openFollowed, readToEnd, type Backlog, type BufferPool,
} from './file-reader.js';
import { newSourceCounters } from './source.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A file of `size` bytes that differ from their neighbours, read to its end; what each push got. Each push
 * moves the backlog's clock on by what `took` says for that chunk's size.
 */
async function readAll(size: number, backlog?: BufferPool, took: (chunk: number) => number = () => 0, between = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'dd-reader-'));
  dirs.push(dir);
  const path = join(dir, 'log');
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = i % 251;
  writeFileSync(path, data);
  const { file } = await openFollowed(path, 8192, newSourceCounters());
  const sizes: number[] = [];
  const got: Buffer[] = [];
  let clock = 0;
  const timed: Backlog | undefined = backlog && { buffers: backlog, now: () => clock };
  try {
    const total = await readToEnd(file, Buffer.alloc(READ_SIZE), (_, chunk) => {
      sizes.push(chunk.length);
      got.push(Buffer.from(chunk));
      clock += took(chunk.length);
      // Work of the event loop's between two chunks (another file's, a timer's), while the next read runs.
      if (between > 0) setImmediate(() => { clock += between; });
    }, () => false, undefined, timed);
    return { sizes, same: Buffer.concat(got).equals(data), total, offset: file.offset };
  } finally {
    await file.handle.close();
  }
}

/** A pool that counts how often it was used. */
const counted = (pool: BufferPool): BufferPool & { uses: number } => {
  const out = { size: pool.size, uses: 0, use: <T>(fn: (b: Buffer) => Promise<T>): Promise<T> => { out.uses++; return pool.use(fn); } };
  return out;
};

const KiB = 1024;

describe('readToEnd', () => {
  it('reads a backlog in chunks that double up to BACKLOG_READ_SIZE while each is quick: every byte once, in order', async () => {
    const size = 64 * KiB + 128 * KiB + 256 * KiB + 512 * KiB + 2 * BACKLOG_READ_SIZE + 12_345;
    const pool = counted(createBufferPool(BACKLOG_READ_SIZE, 0));
    const r = await readAll(size, pool);
    expect(r.sizes).toEqual([64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, BACKLOG_READ_SIZE, BACKLOG_READ_SIZE, 12_345]);
    expect(r.same).toBe(true);
    expect([r.total, r.offset]).toEqual([size, size]);
    expect(pool.uses).toBe(1);
  });

  it('keeps a backlog chunk to what the jails get through in about BACKLOG_CHUNK_MS', async () => {
    // The jails take 1 ms per 16 KiB: 128 KiB takes 8 ms (grow), 256 KiB 16 ms (stay), 512 KiB 32 (shrink).
    const r = await readAll(4 * BACKLOG_READ_SIZE, createBufferPool(BACKLOG_READ_SIZE, 0), (n) => n / (16 * KiB));
    expect(r.same).toBe(true);
    expect(r.sizes.slice(0, 4)).toEqual([64 * KiB, 128 * KiB, 256 * KiB, 256 * KiB]);
    expect(Math.max(...r.sizes)).toBe(256 * KiB);
    // Slow ones (100 ms a chunk, whatever its size) come back down to READ_SIZE and stay there.
    const slow = await readAll(BACKLOG_READ_SIZE, createBufferPool(BACKLOG_READ_SIZE, 0), () => 100);
    expect(slow.sizes.slice(0, 3)).toEqual([64 * KiB, 128 * KiB, 64 * KiB]);
    expect(new Set(slow.sizes.slice(2, -1))).toEqual(new Set([64 * KiB]));
    expect(slow.same).toBe(true);
  });

  it('times only the handing on of a chunk, not what the event loop did while the next one was read', async () => {
    const r = await readAll(4 * BACKLOG_READ_SIZE, createBufferPool(BACKLOG_READ_SIZE, 0), () => 0, 100);
    expect(r.sizes.slice(0, 5)).toEqual([64 * KiB, 128 * KiB, 256 * KiB, 512 * KiB, BACKLOG_READ_SIZE]);
    expect(r.same).toBe(true);
  });

  it('takes no backlog buffer for what fits in one read', async () => {
    const pool = counted(createBufferPool(BACKLOG_READ_SIZE, 0));
    const r = await readAll(READ_SIZE - 1, pool);
    expect(r.sizes).toEqual([READ_SIZE - 1]);
    expect(r.same).toBe(true);
    expect(pool.uses).toBe(0);
  });

  it('reads READ_SIZE at a time without a backlog pool', async () => {
    const r = await readAll(3 * READ_SIZE + 7);
    expect(r.sizes).toEqual([READ_SIZE, READ_SIZE, READ_SIZE, 7]);
    expect(r.same).toBe(true);
  });
});

describe('nextReadSize', () => {
  it('doubles below BACKLOG_CHUNK_MS, halves above twice that, keeps between, within its bounds', () => {
    const [min, max] = [64 * KiB, BACKLOG_READ_SIZE];
    expect(nextReadSize(128 * KiB, BACKLOG_CHUNK_MS - 1, min, max)).toBe(256 * KiB);
    expect(nextReadSize(max, 0, min, max)).toBe(max);
    expect(nextReadSize(256 * KiB, BACKLOG_CHUNK_MS, min, max)).toBe(256 * KiB);
    expect(nextReadSize(256 * KiB, 2 * BACKLOG_CHUNK_MS, min, max)).toBe(256 * KiB);
    expect(nextReadSize(256 * KiB, 2 * BACKLOG_CHUNK_MS + 1, min, max)).toBe(128 * KiB);
    expect(nextReadSize(min, 1000, min, max)).toBe(min);
  });
});
