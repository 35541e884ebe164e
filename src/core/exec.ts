import { execForked } from './exec-fork.js';
import { nativeSpawner } from './exec-native.js';

export interface ExecOptions {
  /** Kill the whole process group after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Written to the child's stdin, which is then closed. */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Output beyond this many bytes per stream is dropped (default 1 MiB). */
  readonly maxOutput?: number;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export type ExecOutcome = { readonly ok: true; readonly value: ExecResult } | { readonly ok: false; readonly error: string };

/** A way of running commands: `exec`'s contract (exec.contract.ts holds both to it). */
export type Spawner = (argv: readonly string[], options: ExecOptions) => Promise<ExecOutcome>;

/**
 * Runs `argv` without a shell — the address is always its own element — in a new session and process group,
 * so a timeout kills everything the command started. Never throws: a missing binary or a spawn failure comes
 * back as an error value; a non-zero exit is a result the caller judges.
 *
 * The process starts through the native spawner (native/spawn.c: posix_spawn from a thread of its own) where
 * it was built, else through Node's child_process (a fork of the whole daemon); DICTDEFENCE_SPAWN=fork asks for
 * the second.
 */
export function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecOutcome> {
  return (chosen ??= decide().spawner)(argv, options);
}

let chosen: Spawner | undefined;
/** The spawner to use now, and why it is not the native one where it is not. */
function decide(): { readonly spawner: Spawner; readonly why?: string } {
  if (process.env['DICTDEFENCE_SPAWN'] === 'fork') return { spawner: execForked, why: 'DICTDEFENCE_SPAWN=fork' };
  const native = nativeSpawner();
  return native.ok ? { spawner: native.value } : { spawner: execForked, why: native.error };
}

/** Which spawner `exec` uses, and why not the native one where it does not. */
export function spawnerInUse(): { readonly native: boolean; readonly why?: string } {
  const { why } = decide();
  return why === undefined ? { native: true } : { native: false, why };
}

/** One line describing why a finished command counts as failed, or `undefined` when it succeeded. */
export function describeFailure(argv: readonly string[], r: ExecResult, timeoutMs?: number): string | undefined {
  if (r.timedOut) return `Command "${argv[0]}" timed out after ${timeoutMs ?? 30_000} ms and was killed`;
  if (r.code === 0) return undefined;
  const why = r.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 300);
  return `Command "${argv[0]}" failed (${r.signal ? `signal ${r.signal}` : `exit ${r.code}`})${why ? `: ${why}` : ''}`;
}
