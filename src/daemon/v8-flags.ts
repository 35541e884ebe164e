import { setFlagsFromString } from 'node:v8';

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
 */

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
}
