/** Cancels a timer; calling it twice is harmless. */
export type Cancel = () => void;

/**
 * Time as the daemon sees it. Injected everywhere so that window, EMA and unban logic are tested without
 * sleeping. Times are milliseconds since the epoch.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once at or after `at`. Works for any distance into the future (no 24.8-day limit). */
  setTimer(at: number, fn: () => void): Cancel;
}

/** setTimeout cannot wait more than 2^31-1 ms; longer waits re-arm in steps. */
const MAX_DELAY = 2 ** 31 - 1;

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fn) {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = at - Date.now();
      handle = setTimeout(() => {
        if (cancelled) return;
        if (Date.now() >= at) fn();
        else arm();
      }, Math.max(0, Math.min(delay, MAX_DELAY)));
    };
    arm();
    return () => { cancelled = true; if (handle) clearTimeout(handle); };
  },
};

/** A clock that moves only when told to; timers fire in time order during `advance`. */
export class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; seq: number; live: boolean }[] = [];
  private seq = 0;
  constructor(private current = 0) {}

  now(): number { return this.current; }

  setTimer(at: number, fn: () => void): Cancel {
    const timer = { at, fn, seq: this.seq++, live: true };
    this.timers.push(timer);
    return () => { timer.live = false; };
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void { this.set(this.current + ms); }

  set(target: number): void {
    // `dictdefence test` moves the clock on nearly every line, with no timer set.
    if (this.timers.length === 0) {
      if (target > this.current) this.current = target;
      return;
    }
    for (;;) {
      const due = this.timers
        .filter((t) => t.live && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.timers = this.timers.filter((t) => t.live);
    this.current = Math.max(this.current, target);
  }

  pendingTimers(): number { return this.timers.filter((t) => t.live).length; }
}
