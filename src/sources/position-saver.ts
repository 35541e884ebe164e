import type { Clock } from '../core/clock.js';
import type { Position, PositionStore } from './source.js';

/**
 * Saves one source's position, coalesced: at most one save per `everyMs` and never two at once, so a busy
 * log does not turn every batch into a store write. The newest position wins; a failed save is reported and
 * retried with the next one.
 */
export interface PositionSaver {
  /** Records `position` as the newest; it is saved within `everyMs` unless the saver is closed. */
  note(position: Position): void;
  /** Saves the newest position now (after a save in flight), without waiting for the coalescing timer. */
  flush(): Promise<void>;
  /** Cancels the pending timer, waits for a save in flight, then saves the newest position once more. */
  close(): Promise<void>;
}

export interface PositionSaverDeps {
  readonly clock: Clock;
  readonly positions: PositionStore;
  readonly everyMs: number;
  /** Called for each failed save; the saver keeps going. */
  readonly onError: (e: unknown) => void;
  /** Called after each successful save, so that a caller can say once that saving works again. */
  readonly onSaved?: () => void;
}

const samePosition = (a: Position, b: Position): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
};

export function createPositionSaver(key: string, deps: PositionSaverDeps): PositionSaver {
  const { clock, positions, everyMs, onError, onSaved } = deps;
  let latest: Position | undefined;
  let dirty = false;
  let closed = false;
  let saving: Promise<void> | undefined;
  let lastSaveAt = Number.NEGATIVE_INFINITY;
  let cancel: (() => void) | undefined;

  function schedule(): void {
    if (cancel || saving || closed) return;
    cancel = clock.setTimer(Math.max(clock.now(), lastSaveAt + everyMs), () => {
      cancel = undefined;
      void save();
    });
  }

  function save(): Promise<void> {
    if (!dirty || latest === undefined) return Promise.resolve();
    const position = latest;
    dirty = false;
    // Through `then`, so that a store throwing synchronously is handled like one that rejects.
    saving = Promise.resolve()
      .then(() => positions.setPosition(key, position))
      .then(() => onSaved?.())
      .catch((e: unknown) => {
        dirty = true;
        onError(e);
      })
      .finally(() => {
        saving = undefined;
        lastSaveAt = clock.now();
        if (dirty) schedule();
      });
    return saving;
  }

  return {
    note(position) {
      if (latest !== undefined && samePosition(latest, position)) return;
      latest = position;
      dirty = true;
      schedule();
    },
    async flush() {
      cancel?.();
      cancel = undefined;
      await saving;
      await save();
    },
    async close() {
      closed = true;
      cancel?.();
      cancel = undefined;
      await saving;
      await save();
    },
  };
}
