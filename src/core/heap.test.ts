import { describe, expect, it } from 'vitest';
import { MinHeap } from './heap.js';

/** A small deterministic generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
}

describe('MinHeap', () => {
  it('is empty when new', () => {
    const heap = new MinHeap<number>((n) => n);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it('peeks at the smallest key without removing it', () => {
    const heap = new MinHeap<number>((n) => n);
    for (const n of [5, 3, 8, 1, 9]) heap.push(n);
    expect(heap.peek()).toBe(1);
    expect(heap.size).toBe(5);
  });

  it('pops in key order, duplicates included', () => {
    const heap = new MinHeap<number>((n) => n);
    for (const n of [4, 1, 4, 2, 2, 0, 7]) heap.push(n);
    const out: number[] = [];
    for (let n = heap.pop(); n !== undefined; n = heap.pop()) out.push(n);
    expect(out).toEqual([0, 1, 2, 2, 4, 4, 7]);
    expect(heap.size).toBe(0);
  });

  it('orders items by the key function, not by the items', () => {
    const heap = new MinHeap<{ name: string; until: number }>((b) => b.until);
    heap.push({ name: 'late', until: 300 });
    heap.push({ name: 'early', until: 100 });
    heap.push({ name: 'middle', until: 200 });
    expect([heap.pop()?.name, heap.pop()?.name, heap.pop()?.name]).toEqual(['early', 'middle', 'late']);
  });

  it('matches a sort over a thousand random pushes and pops interleaved', () => {
    const rand = lcg(42);
    const heap = new MinHeap<number>((n) => n);
    const model: number[] = [];
    for (let i = 0; i < 1000; i++) {
      if (model.length > 0 && rand() < 0.4) {
        model.sort((a, b) => a - b);
        expect(heap.pop()).toBe(model.shift());
      } else {
        const n = Math.floor(rand() * 100);
        heap.push(n);
        model.push(n);
      }
      expect(heap.size).toBe(model.length);
    }
  });
});
