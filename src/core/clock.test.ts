import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock, realClock } from './clock.js';

const DAY = 86_400_000;

describe('ManualClock', () => {
  it('starts at the time it is given and moves only when told', () => {
    const clock = new ManualClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(500);
    expect(clock.now()).toBe(1500);
  });

  it('fires timers in time order, and same-time timers in the order they were set', () => {
    const clock = new ManualClock();
    const fired: string[] = [];
    clock.setTimer(300, () => fired.push('c'));
    clock.setTimer(100, () => fired.push('a1'));
    clock.setTimer(200, () => fired.push('b'));
    clock.setTimer(100, () => fired.push('a2'));
    clock.advance(1000);
    expect(fired).toEqual(['a1', 'a2', 'b', 'c']);
  });

  it('shows each timer the time it was due, not the target of the advance', () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimer(100, () => seen.push(clock.now()));
    clock.setTimer(250, () => seen.push(clock.now()));
    clock.advance(1000);
    expect(seen).toEqual([100, 250]);
    expect(clock.now()).toBe(1000);
  });

  it('does not fire a timer before its time', () => {
    const clock = new ManualClock();
    const fn = vi.fn();
    clock.setTimer(100, fn);
    clock.advance(99);
    expect(fn).not.toHaveBeenCalled();
    clock.advance(1);
    expect(fn).toHaveBeenCalledOnce();
  });

  it('fires a timer set from a callback when it falls due within the same advance', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimer(100, () => {
      fired.push(clock.now());
      clock.setTimer(150, () => fired.push(clock.now()));
    });
    clock.advance(200);
    expect(fired).toEqual([100, 150]);
  });

  it('never fires a cancelled timer, and cancelling twice is harmless', () => {
    const clock = new ManualClock();
    const fn = vi.fn();
    const cancel = clock.setTimer(100, fn);
    cancel();
    cancel();
    clock.advance(200);
    expect(fn).not.toHaveBeenCalled();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('counts only live timers as pending', () => {
    const clock = new ManualClock();
    clock.setTimer(100, () => undefined);
    const cancel = clock.setTimer(200, () => undefined);
    clock.setTimer(300, () => undefined);
    expect(clock.pendingTimers()).toBe(3);
    cancel();
    expect(clock.pendingTimers()).toBe(2);
    clock.advance(100);
    expect(clock.pendingTimers()).toBe(1);
  });
});

describe('realClock', () => {
  afterEach(() => { vi.useRealTimers(); });

  it('fires a timer thirty days away exactly once, not before its time, by re-arming past the setTimeout limit', () => {
    vi.useFakeTimers({ now: 0 });
    const fn = vi.fn();
    realClock.setTimer(30 * DAY, fn);
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(30 * DAY - 1 - (2 ** 31 - 1));
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(1);
    // The last leg ends in a zero-delay timeout, so the call may land one tick after `at`, never before.
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(60 * DAY);
    expect(fn).toHaveBeenCalledOnce();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fires a timer whose time has passed on the next turn', () => {
    vi.useFakeTimers({ now: 10_000 });
    const fn = vi.fn();
    realClock.setTimer(5_000, fn);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(fn).toHaveBeenCalledOnce();
  });

  it('never fires a long timer cancelled after it has re-armed', () => {
    vi.useFakeTimers({ now: 0 });
    const fn = vi.fn();
    const cancel = realClock.setTimer(40 * DAY, fn);
    vi.advanceTimersByTime(30 * DAY);
    cancel();
    cancel();
    vi.advanceTimersByTime(30 * DAY);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reads the system time', () => {
    vi.useFakeTimers({ now: 123_456 });
    expect(realClock.now()).toBe(123_456);
  });
});
