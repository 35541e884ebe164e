import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { createQuietWatch } from './quiet.js';

describe('createQuietWatch', () => {
  it('calls back once the lines have stopped for the quiet time, not while they keep coming', () => {
    const clock = new ManualClock(0);
    let quiet = 0;
    const w = createQuietWatch(clock, 500, () => quiet++);
    for (let t = 0; t < 3000; t += 100) { w.lines(); clock.advance(100); }
    expect(quiet).toBe(0);
    clock.advance(999);
    expect(quiet).toBe(1);
    clock.advance(10_000);
    expect(quiet).toBe(1);
  });

  it('calls back again after the next burst, and never once stopped', () => {
    const clock = new ManualClock(0);
    let quiet = 0;
    const w = createQuietWatch(clock, 500, () => quiet++);
    w.lines();
    clock.advance(500);
    expect(quiet).toBe(1);
    w.lines();
    clock.advance(1000);
    expect(quiet).toBe(2);
    w.lines();
    w.stop();
    clock.advance(1000);
    expect(quiet).toBe(2);
  });
});
