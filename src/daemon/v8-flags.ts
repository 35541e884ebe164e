import { setFlagsFromString } from 'node:v8';

/*
 * V8 settings for the long-running daemon (not for the one-shot commands, whose throughput they would cost).
 * Measured on the idle daemon and on a flood of 1,000,000 addresses (docs/performance.md, "Daemon memory").
 *
 * - The young generation starts at 1 MiB per semi-space and V8 doubles it, up to 16 MiB, whenever many
 *   objects survive a scavenge: config parsing and filter compilation at start do that, and so does a burst
 *   of lines. Both semi-spaces then stay committed for the life of the process (idle: 8 MiB of new space for
 *   1 MiB in use). Without growth the daemon scavenges more often; its lines are short-lived, so the cost
 *   is small (flood of 5,000,000 lines: ~10 % longer) against 5 MiB idle and ~25 MiB after the flood.
 * - After a mark-compact V8 lets the old generation grow to up to 4 × what survived before the next one. A
 *   flood leaves garbage behind up to that limit (the jail's kept lines and hits die old), and an idle daemon
 *   never reaches the limit again to collect it: after 1,000,000 addresses × 5 failures the old generation
 *   held 70–110 MiB, 20–30 of them live. At 1.3 × it holds ~30 MiB, for ~15 % more time in the flood.
 * - TurboFan compiles what start-up runs hot (the regex safety analysis, path resolution), code that never
 *   runs again, and maps ~4 MiB of its own code in doing so. Start-up therefore runs without it; it is
 *   switched back on before the daemon restores its bans, so the restore and the hot path are optimised as
 *   before.
 */

/** Called by bin/dictdefence.js for `run`, before anything else is imported. */
export function tuneDaemonHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--heap-growing-percent=30');
  setFlagsFromString('--no-turbofan');
}

/** Called once the configuration is compiled, before the daemon starts its work; idempotent. */
export function endStartup(): void {
  setFlagsFromString('--turbofan');
}
