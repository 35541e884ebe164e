import type { Cancel, Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';

export interface DeliveryCounters {
  /** Events delivered. */
  sent: number;
  /** Delivery attempts that failed (each retry counts). */
  failed: number;
  /** Events given up: queue full, or every retry failed. */
  dropped: number;
}

export interface DeliveryOptions<T> {
  readonly name: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** 0: each event is its own delivery. Otherwise at most one delivery per interval carries all that waits. */
  readonly batchMs: number;
  readonly maxPerHour: number;
  readonly maxQueue: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  /** Delivers a batch; rejects on failure. `dropped` counts events lost since the last delivery. */
  readonly send: (events: readonly T[], dropped: number) => Promise<void>;
  /** How long `close` waits for what is queued (default 10 s). */
  readonly closeTimeoutMs?: number;
}

export interface Delivery<T> {
  /** Queues an event and returns at once; never throws, never waits. */
  push(event: T): void;
  /** Sends what is queued now (one attempt, bounded by `closeTimeoutMs`) and stops. */
  close(): Promise<void>;
  readonly counters: DeliveryCounters;
}

const HOUR = 3_600_000;

/**
 * The queue behind every notifier: batching, a rate limit over a rolling hour, retries with doubling delay,
 * and a bounded queue. An attack wave therefore costs a few deliveries that list many events, not one each,
 * and a dead server costs only counted drops.
 */
export function createDelivery<T>(o: DeliveryOptions<T>): Delivery<T> {
  const counters: DeliveryCounters = { sent: 0, failed: 0, dropped: 0 };
  const queue: T[] = [];
  const recent: number[] = []; // delivery start times within the last hour
  let lastAt = -Infinity;
  let timer: Cancel | undefined;
  let busy: Promise<void> | undefined;
  let closing = false;
  let droppedSinceLast = 0;
  let wake: (() => void) | undefined;

  const wait = (ms: number): Promise<void> => new Promise((resolve) => {
    const cancel = o.clock.setTimer(o.clock.now() + ms, () => { wake = undefined; resolve(); });
    wake = () => { cancel(); wake = undefined; resolve(); };
  });

  const nextAllowed = (now: number): number => {
    while (recent.length > 0 && (recent[0] ?? 0) <= now - HOUR) recent.shift();
    let at = Math.max(now, lastAt + o.batchMs);
    if (recent.length >= o.maxPerHour) at = Math.max(at, (recent[0] ?? now) + HOUR);
    return at;
  };

  const schedule = (): void => {
    if (closing || busy || timer || queue.length === 0) return;
    const at = nextAllowed(o.clock.now());
    timer = o.clock.setTimer(at, () => { timer = undefined; busy = deliver().finally(() => { busy = undefined; schedule(); }); });
  };

  const deliver = async (): Promise<void> => {
    const batch = o.batchMs > 0 ? queue.splice(0) : queue.splice(0, 1);
    if (batch.length === 0) return;
    const dropped = droppedSinceLast;
    droppedSinceLast = 0;
    lastAt = o.clock.now();
    recent.push(lastAt);
    for (let attempt = 0; ; attempt++) {
      try {
        await o.send(batch, dropped);
        counters.sent += batch.length;
        return;
      } catch (e) {
        counters.failed++;
        const last = attempt >= o.retries || closing;
        o.log.warn(`Notifier "${o.name}" could not deliver ${batch.length} event${batch.length === 1 ? '' : 's'}: ${(e as Error).message}`,
          last ? { dropped: batch.length } : { retry_in_ms: o.retryDelayMs * 2 ** attempt });
        if (last) { counters.dropped += batch.length; droppedSinceLast += batch.length; return; }
        await wait(o.retryDelayMs * 2 ** attempt);
      }
    }
  };

  return {
    counters,
    push(event) {
      if (closing) return;
      if (queue.length >= o.maxQueue) {
        if (counters.dropped === 0 || droppedSinceLast === 0) o.log.warn(`Notifier "${o.name}" queue is full (${o.maxQueue}): dropping events`);
        counters.dropped++;
        droppedSinceLast++;
        return;
      }
      queue.push(event);
      schedule();
    },
    async close() {
      closing = true;
      timer?.();
      timer = undefined;
      wake?.(); // a retry waiting for its delay makes its last attempt now
      let expired = false;
      const done = (async () => {
        await busy;
        while (queue.length > 0 && !expired) await deliver();
      })();
      let t: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => { t = setTimeout(() => { expired = true; resolve(); }, o.closeTimeoutMs ?? 10_000); });
      await Promise.race([done, limit]);
      clearTimeout(t);
      if (queue.length > 0) { counters.dropped += queue.length; queue.length = 0; }
    },
  };
}
