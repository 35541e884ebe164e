import { describeFailure, exec } from '../core/exec.js';
import type { Ban } from '../core/types.js';
import type { ActionResult } from './action.js';

/**
 * What the firewall actions share: running their tool (optionally inside a network namespace), naming the
 * action in every error, checking the tool is installed, serialising verbs, and kernel timeouts.
 */

/** The outcome of one command as a firewall action judges it: output on success, a message otherwise. */
export type RunOutcome =
  | { readonly ok: true; readonly stdout: string; readonly stderr: string }
  | { readonly ok: false; readonly error: string; readonly stderr: string; readonly notFound: boolean };

export interface Runner {
  /** Runs `argv` (inside the action's namespace, if any) with the action's timeout. Never throws. */
  run(argv: readonly string[], options?: { readonly input?: string; readonly maxOutput?: number }): Promise<RunOutcome>;
}

export interface RunnerOptions {
  /** Network namespace (`ip netns` name) the commands run in; unset means the daemon's own. */
  readonly netns?: string | undefined;
  /** Per-command timeout in milliseconds; the whole process group is killed after it. */
  readonly timeoutMs?: number | undefined;
}

/** Listings of 100,000 bans run to several MB of JSON; the exec default of 1 MiB would cut them short. */
export const LISTING_MAX_OUTPUT = 256 << 20;

/** Names accepted for tables, sets, chains and namespaces: they are written into nft scripts and restore files. */
export const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,27}$/;

export function createRunner(options: RunnerOptions): Runner {
  // `ip netns exec` is the only way into a namespace without a shell; it execs the tool directly.
  const prefix = options.netns ? ['ip', 'netns', 'exec', options.netns] : [];
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    async run(argv, o = {}) {
      const full = [...prefix, ...argv];
      const r = await exec(full, { timeoutMs, ...(o.input !== undefined ? { input: o.input } : {}), ...(o.maxOutput ? { maxOutput: o.maxOutput } : {}) });
      if (!r.ok) return { ok: false, error: r.error, stderr: '', notFound: /not found/.test(r.error) };
      // Inside a namespace `ip netns exec` reports a missing tool itself, with exit 255.
      const notFound = prefix.length > 0 && r.value.code === 255 && /exec of ".*" failed: No such file/.test(r.value.stderr);
      const failure = describeFailure(argv, r.value, timeoutMs);
      return failure ? { ok: false, error: failure, stderr: r.value.stderr, notFound } : { ok: true, stdout: r.value.stdout, stderr: r.value.stderr };
    },
  };
}

/**
 * Start-up check that `binary` runs (`binary ...versionArgs`). A missing tool is a clear error naming the
 * action, the tool and the Debian package, instead of a failure on the first ban.
 */
export async function requireBinary(runner: Runner, action: string, binary: string, versionArgs: readonly string[], pkg: string): Promise<string | undefined> {
  const r = await runner.run([binary, ...versionArgs]);
  if (r.ok) return undefined;
  if (r.notFound) return `Cannot start action "${action}": "${binary}" is not installed (install the ${pkg} package, or set "binary" to its path)`;
  return `Cannot start action "${action}": "${binary}" does not run: ${r.error}`;
}

/** Prefixes a failure with the action's name so that the daemon's log says which firewall failed. */
export const failure = (action: string, error: string, failed: readonly Ban[]): ActionResult =>
  ({ ok: false, error: `Action "${action}": ${error}`, failed });

/**
 * Runs verbs one at a time. The daemon may call `ban` for one jail while `unban` for another is running;
 * backends that list the kernel state before writing (iptables, null route) must not interleave.
 */
export function serialize(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = tail.then(fn, fn);
    tail = next.catch(() => undefined);
    return next;
  };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Seconds the kernel should keep `ban`: its remaining time rounded up, at least 1 s (0 would mean "never
 * expires" to ipset), at most `cap` (the backend's limit: the daemon's periodic verify re-adds a ban the
 * kernel dropped early). `null` for a permanent ban.
 */
export function kernelTimeout(ban: Ban, now: number, cap: number): number | null {
  if (ban.until === null) return null;
  return Math.min(cap, Math.max(1, Math.ceil((ban.until - now) / 1000)));
}

/** Bans still in force at `now` (verify ignores those the daemon is about to unban anyway). */
export const liveBans = (bans: readonly Ban[], now: number): Ban[] => bans.filter((b) => b.until === null || b.until > now);

/**
 * Config-load check for the firewall actions: names written into nft scripts or restore files must be
 * plain identifiers, and the chains jumping to ours must be ones where a source match makes sense.
 */
export function checkFirewallOptions(
  c: { error(at: { file: string; line: number }, key: string, message: string): void },
  node: { file: string; line: number }, path: string, o: Readonly<Record<string, unknown>>, names: readonly string[],
): void {
  for (const key of [...names, 'netns']) {
    const v = o[key];
    if (typeof v === 'string' && !SAFE_NAME.test(v)) {
      c.error(node, `${path}.${key}`, `invalid name "${v}": use a letter then letters, digits, "_" or "-" (at most 28)`);
    }
  }
  const jumps = o.jump_from;
  if (Array.isArray(jumps)) {
    for (const j of jumps) if (j !== 'INPUT' && j !== 'FORWARD') c.error(node, `${path}.jump_from`, `cannot jump from "${String(j)}": use INPUT or FORWARD`);
  }
}
