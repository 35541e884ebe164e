import type { Cancel, Clock } from '../core/clock.js';

/**
 * Tells when the sources have gone quiet: `onQuiet` runs once between `quietMs` and twice that after the last
 * lines, and again after the next lines that are followed by as long a pause. While lines keep coming it costs
 * a flag per chunk and one timer per `quietMs`; an idle daemon has no timer at all.
 */
export interface QuietWatch {
  /** Called for every chunk of lines delivered. */
  lines(): void;
  /** Cancels the pending timer; idempotent. */
  stop(): void;
}

export function createQuietWatch(clock: Clock, quietMs: number, onQuiet: () => void): QuietWatch {
  let cancel: Cancel | undefined;
  let seen = false;
  const check = (): void => {
    if (seen) {
      seen = false;
      cancel = clock.setTimer(clock.now() + quietMs, check);
      return;
    }
    cancel = undefined;
    onQuiet();
  };
  return {
    lines() {
      if (cancel) { seen = true; return; }
      cancel = clock.setTimer(clock.now() + quietMs, check);
    },
    stop() {
      cancel?.();
      cancel = undefined;
    },
  };
}
