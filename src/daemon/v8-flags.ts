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
 * - TurboFan compiles what start-up runs hot (the regex safety analysis, path resolution), code that never
 *   runs again, and maps ~4 MiB of its own code in doing so. Start-up therefore runs without it; it is
 *   switched back on before the daemon restores its bans, so the restore and the hot path are optimised as
 *   before.
 */

/** Called by bin/dictdefence.js for `run`, before anything else is imported. */
export function tuneDaemonHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--no-turbofan');
}

/** Called once the configuration is compiled, before the daemon starts its work; idempotent. */
export function endStartup(): void {
  setFlagsFromString('--turbofan');
}
