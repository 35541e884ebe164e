import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKLOG_READ_SIZE, READ_SIZE, createBufferPool, openFollowed, readToEnd, type BufferPool } from './file-reader.js';
import { newSourceCounters } from './source.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A file of `size` bytes that differ from their neighbours, read to its end; what each push got. */
async function readAll(size: number, backlog?: BufferPool): Promise<{ sizes: number[]; same: boolean; total: number; offset: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'dd-reader-'));
  dirs.push(dir);
  const path = join(dir, 'log');
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = i % 251;
  writeFileSync(path, data);
  const { file } = await openFollowed(path, 8192, newSourceCounters());
  const sizes: number[] = [];
  const got: Buffer[] = [];
  try {
    const total = await readToEnd(file, Buffer.alloc(READ_SIZE), (_, chunk) => {
      sizes.push(chunk.length);
      got.push(Buffer.from(chunk));
    }, () => false, undefined, backlog);
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

describe('readToEnd', () => {
  it('reads a backlog one READ_SIZE chunk, then BACKLOG_READ_SIZE chunks: every byte once, in order', async () => {
    const size = READ_SIZE + 2 * BACKLOG_READ_SIZE + 12_345;
    const pool = counted(createBufferPool(BACKLOG_READ_SIZE, 0));
    const r = await readAll(size, pool);
    expect(r.sizes).toEqual([READ_SIZE, BACKLOG_READ_SIZE, BACKLOG_READ_SIZE, 12_345]);
    expect(r.same).toBe(true);
    expect([r.total, r.offset]).toEqual([size, size]);
    expect(pool.uses).toBe(1);
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
