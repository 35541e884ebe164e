import type { Infer, Spec } from '../config/check.js';
import { describeFailure, exec } from '../core/exec.js';
import type { Ban } from '../core/types.js';
import { okResult, type Action, type ActionDeps, type ActionResult } from './action.js';

export const commandOptions = {
  ban: { type: 'argv', required: true, description: 'command run for each ban' },
  unban: { type: 'argv', description: 'command run for each unban' },
  init: { type: 'argv', description: 'run once at start' },
  flush: { type: 'argv', description: 'run by flush' },
  close: { type: 'argv', description: 'run once at stop' },
  timeout: { type: 'duration', description: 'kill the command (its whole process group) after this long; default 30s' },
  parallel: { type: 'int', min: 1, max: 64, description: 'commands run at once for a batch; default 4' },
} as const satisfies Spec;
export type CommandOptions = Infer<typeof commandOptions>;

/** Placeholders replaced inside argv elements; the element stays one argument, no shell ever sees it. */
export const PLACEHOLDERS = ['address', 'jail', 'until', 'until_epoch', 'time', 'count', 'family'] as const;
const PLACEHOLDER_RE = /\{([a-z_]+)\}/g;

/** Names in `argv` that are not known placeholders (checked at config load). */
export function unknownPlaceholders(argv: readonly string[]): string[] {
  const bad: string[] = [];
  for (const a of argv) for (const m of a.matchAll(PLACEHOLDER_RE)) {
    if (!(PLACEHOLDERS as readonly string[]).includes(m[1] ?? '')) bad.push(`{${m[1]}}`);
  }
  return bad;
}

export function substitute(argv: readonly string[], ban: Ban | undefined, now: number): string[] {
  if (!ban) return [...argv];
  const values: Record<string, string> = {
    address: ban.address,
    jail: ban.jail,
    until: ban.until === null ? 'permanent' : new Date(ban.until).toISOString(),
    until_epoch: ban.until === null ? '0' : String(Math.floor(ban.until / 1000)),
    time: ban.until === null ? '0' : String(Math.max(0, Math.ceil((ban.until - now) / 1000))),
    count: String(ban.count),
    family: ban.address.includes(':') ? 'inet6' : 'inet',
  };
  return argv.map((a) => a.replace(PLACEHOLDER_RE, (m, name: string) => values[name] ?? m));
}

/**
 * Runs an administrator's own commands for ban and unban. Each ban is one run with the address as an argv
 * element of its own; a batch runs `parallel` at a time. Failures are reported per ban so that the daemon
 * retries only those.
 */
export function createCommandAction(name: string, options: CommandOptions, deps: ActionDeps): Action {
  const timeoutMs = options.timeout ?? 30_000;
  const parallel = options.parallel ?? 4;

  const runOne = async (argv: readonly string[], ban?: Ban): Promise<string | undefined> => {
    const full = substitute(argv, ban, deps.clock.now());
    const r = await exec(full, { timeoutMs });
    if (!r.ok) return r.error;
    return describeFailure(full, r.value, timeoutMs);
  };

  const runAll = async (argv: readonly string[] | undefined, bans: readonly Ban[]): Promise<ActionResult> => {
    if (!argv || bans.length === 0) return okResult;
    const failed: Ban[] = [];
    let firstError = '';
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < bans.length) {
        const ban = bans[next++] as Ban;
        const error = await runOne(argv, ban);
        if (error) { failed.push(ban); firstError ||= error; }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, bans.length) }, worker));
    return failed.length === 0 ? okResult : { ok: false, error: firstError, failed };
  };

  const runPlain = async (argv: readonly string[] | undefined): Promise<ActionResult> => {
    if (!argv) return okResult;
    const error = await runOne(argv);
    return error ? { ok: false, error, failed: [] } : okResult;
  };

  return {
    name,
    type: 'command',
    init: () => runPlain(options.init),
    ban: (bans) => runAll(options.ban, bans),
    unban: (bans) => runAll(options.unban, bans),
    flush: () => runPlain(options.flush),
    close: () => runPlain(options.close),
  };
}
