/**
 * One flush to disk shared by everyone who asks while another is running. Writers say when they wrote
 * (`wrote`); a caller of `request` is answered by the first flush that *started after* the last write before
 * its call, so that write is covered: the running flush when it started late enough, the next one otherwise.
 * Callers who ask while a flush runs share that next one, which starts when the running one ends. During a
 * flood of bans that is one fsync per disk round trip, however many bans were committed meanwhile.
 */
export interface CoalescedSync {
  /** A write was made that the next `request` must cover. */
  wrote(): void;
  /** Resolves once every write noted before this call is flushed; rejects with that flush's error. */
  request(): Promise<void>;
  /** Resolves once no flush is running or waiting (for close). Never rejects. */
  idle(): Promise<void>;
}

interface Flush {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

function pending(): Flush {
  let resolve: () => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<void>((yes, no) => { resolve = yes; reject = no; });
  // A caller that stops listening (the daemon gave up on a ban) must not leave an unhandled rejection behind.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export function createCoalescedSync(flush: () => Promise<void>): CoalescedSync {
  let writes = 0;
  /** Writes covered by the last flush that succeeded. */
  let flushed = 0;
  let running: { readonly through: number; readonly done: Promise<void> } | undefined;
  let next: Flush | undefined;

  const start = (): void => {
    const batch = next;
    if (batch === undefined) return;
    next = undefined;
    const through = writes;
    const done = flush().then(() => {
      flushed = Math.max(flushed, through);
      batch.resolve();
    }, batch.reject).finally(() => {
      running = undefined;
      start();
    });
    running = { through, done: batch.promise };
  };

  return {
    wrote() { writes++; },
    request() {
      if (flushed >= writes) return Promise.resolve();
      if (running !== undefined && running.through >= writes) return running.done;
      next ??= pending();
      const { promise } = next;
      if (running === undefined) start();
      return promise;
    },
    async idle() {
      while (running !== undefined) await running.done.catch(() => {});
    },
  };
}
