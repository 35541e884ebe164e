import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/*
 * V8 settings for the long-running daemon (not for the one-shot commands, whose throughput they would cost).
 * Measured on the idle daemon, the restore of 100,000 bans and a flood of 1,000,000 addresses × 5 failures
 * (docs/performance.md, "Daemon memory").
 *
 * - Start-up (config, filter compilation) runs without TurboFan. What it runs hot (the regex safety analysis,
 *   path resolution) never runs again, and optimising it maps ~4 MiB of TurboFan's own code and zone memory
 *   into an idle daemon; without it start-up takes ~0.2 s longer. TurboFan is back on before the restore.
 * - Start-up also runs with --optimize-for-size (V8 favours smaller code and heap over speed): −3 MiB idle
 *   (58.4 → 55.3 MiB, measured twice each), no change to the restore or a flood, since it is off again by then.
 *   Left on for good it saved less idle memory (56.8 MiB) and 6 MiB after a flood.
 * - The young generation starts at 1 MiB per semi-space and V8 doubles it (up to 16 MiB) whenever many
 *   objects survive a scavenge, as they do while the config is parsed; both semi-spaces then stay committed
 *   for good (idle: 8 MiB of new space for 1 MiB in use). It does not grow during start-up, grows as usual
 *   during the restore (100,000 bans: ~0.2 s faster), and not after it: a flood then scavenges more often
 *   (~20 % more time for 5,000,000 lines) and leaves no 32 MiB of new space behind.
 * - After a mark-compact V8 lets the old generation grow to up to 4 × what survived before the next one. A
 *   flood leaves garbage up to that limit (the jail's kept lines and hits die old), and an idle daemon never
 *   reaches the limit again to collect it. After the restore the limit is 1.3 × what survived: ~25 % more
 *   time in a flood, 30–60 MiB less left behind by it.
 * - After a burst of lines the old generation is left fragmented: pages of promoted lines and hits that died,
 *   still committed. V8's memory reducer compacts them, but only once it has seen a low allocation rate for
 *   some seconds (8–10 s after a flood of 1,000,000 addresses, measured); an ordinary full GC frees the dead
 *   objects and keeps most of the pages. So once the sources have been quiet for a moment, and old space has
 *   grown by {@link IDLE_GROWTH} since the last such GC, the daemon runs one full GC that compacts every
 *   fragmented page: 141 → 132 MiB two seconds after that flood (plain gc(): 141 MiB), ~30 ms while nothing
 *   else runs. (Old space's unused bytes are no test: V8 counts the dead objects as used until it collects.)
 */

/** Growth of old space (committed bytes) that makes an idle daemon compact; a few lines now and then grow it less. */
const IDLE_GROWTH = 4 * 2 ** 20;
/** V8's gc(), from a context made once --expose-gc is set (the main context was made without it). */
let collect: (() => void) | undefined;
/** Old space's committed bytes after the last compaction (or when the daemon settled). */
let compactedSize = 0;
const oldSpaceSize = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_size ?? 0;

/** Called by bin/dictdefence.js for `run`, before anything else is imported. */
export function tuneDaemonHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--no-turbofan');
  setFlagsFromString('--optimize-for-size');
}

/** Called once the configuration is compiled, before the daemon restores its bans; idempotent. */
export function endStartup(): void {
  setFlagsFromString('--turbofan');
  setFlagsFromString('--no-optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=2');
}

/** Called once the daemon has restored its bans and follows its sources. */
export function settleDaemonHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=30');
  if (collect === undefined) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  compactedSize = oldSpaceSize();
}

/**
 * Called when the sources have gone quiet: compacts the heap if old space grew by {@link IDLE_GROWTH} since
 * the last time. Returns whether it did; does nothing before {@link settleDaemonHeap} (tests, one-shot commands).
 */
export function compactIdleHeap(): boolean {
  if (collect === undefined || oldSpaceSize() - compactedSize < IDLE_GROWTH) return false;
  setFlagsFromString('--compact-on-every-full-gc');
  collect();
  setFlagsFromString('--no-compact-on-every-full-gc');
  compactedSize = oldSpaceSize();
  return true;
}
