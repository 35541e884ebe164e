/**
 * What every long-running source does the same way around its own work: it may be started once, it stops
 * when the daemon's signal aborts, and `stopped()` resolves once its own stop has finished.
 */
export interface Lifecycle {
  /** Refuses a second start and ties `stop` to `signal`. False when the signal had already aborted. */
  begin(signal: AbortSignal, stop: () => Promise<void>): boolean;
  /** Called by the source's stop when everything is closed and its position saved. */
  done(): void;
  stopped(): Promise<void>;
}

export function createLifecycle(id: string): Lifecycle {
  let started = false;
  let resolveStopped: () => void = () => undefined;
  const stoppedPromise = new Promise<void>((resolve) => { resolveStopped = resolve; });
  return {
    begin(signal, stop) {
      if (started) throw new Error(`Cannot start source "${id}": already started`);
      started = true;
      signal.addEventListener('abort', () => void stop(), { once: true });
      return !signal.aborted;
    },
    done: () => resolveStopped(),
    stopped: () => stoppedPromise,
  };
}
