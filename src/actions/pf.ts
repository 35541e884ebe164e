import type { Infer, Spec } from '../config/check.js';
import { parseAddress } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { okResult, type Action, type ActionDeps, type ActionResult } from './action.js';
import { chunks, createRunner, failure, LISTING_MAX_OUTPUT, liveBans, SAFE_NAME, serialize } from './runner.js';

export const pfOptions = {
  table: { type: 'string', description: 'pf table the bans go into; default dictdefence' },
  anchor: { type: 'string', description: 'anchor holding the table (pfctl -a); default none (main ruleset)' },
  binary: { type: 'string', description: 'the pfctl program; default pfctl' },
  remove_on_stop: { type: 'bool', description: 'empty the table when the daemon stops; default false' },
  timeout: { type: 'duration', description: 'kill a pfctl run after this long; default 30s' },
} as const satisfies Spec;
export type PfOptions = Infer<typeof pfOptions>;

/** Anchors nest with "/"; a leading "-" would read as a pfctl option. */
export const PF_ANCHOR = /^[A-Za-z0-9_][A-Za-z0-9_/-]*$/;

/** Addresses per pfctl run: far below any ARG_MAX, and 100,000 bans still take only 100 runs. */
export const PF_CHUNK = 1_000;

/**
 * pf (OpenBSD, FreeBSD, macOS): bans go into a table with `pfctl -t TABLE -T add ADDRESS…` and leave it
 * with `-T delete`; pfctl itself treats both as idempotent ("0/1 addresses added"). pf has no per-entry
 * timeout, so the daemon lifts each ban. The blocking rules live in pf.conf (see docs/actions.md): this
 * action only fills the table.
 */
export function createPfAction(name: string, options: PfOptions, deps: ActionDeps): Action {
  const table = options.table ?? 'dictdefence';
  const pfctl = options.binary ?? 'pfctl';
  const runner = createRunner({ timeoutMs: options.timeout });
  const serial = serialize();
  const base = [pfctl, ...(options.anchor ? ['-a', options.anchor] : []), '-t', table, '-T'];

  const change = async (bans: readonly Ban[], verb: 'add' | 'delete'): Promise<ActionResult> => {
    const failed: Ban[] = [];
    let firstError = '';
    for (const part of chunks(bans, PF_CHUNK)) {
      const r = await runner.run([...base, verb, ...part.map((b) => b.address)]);
      if (!r.ok) { failed.push(...part); firstError ||= r.error; }
    }
    return failed.length === 0 ? okResult : failure(name, firstError, failed);
  };

  const flush = async (): Promise<ActionResult> => {
    const r = await runner.run([...base, 'flush']);
    return r.ok || /does not exist/.test(r.stderr) ? okResult : failure(name, r.error, []);
  };

  return {
    name,
    type: 'pf',
    init: async () => {
      if (!SAFE_NAME.test(table)) return failure(name, `invalid table name "${table}"`, []);
      if (options.anchor !== undefined && !PF_ANCHOR.test(options.anchor)) return failure(name, `invalid anchor name "${options.anchor}"`, []);
      const r = await runner.run([...base, 'show']);
      if (r.ok) return okResult;
      if (r.notFound) return { ok: false, error: `Cannot start action "${name}": "${pfctl}" is not installed (set "binary" to its path)`, failed: [] };
      if (/does not exist/.test(r.stderr)) {
        // pfctl creates the table on the first add, but nothing blocks unless pf.conf refers to it.
        deps.log.warn('pf table does not exist yet; add the pf.conf lines from docs/actions.md', { action: name, table });
        return okResult;
      }
      return failure(name, r.error, []);
    },
    ban: (bans) => serial(() => change(bans, 'add')),
    unban: (bans) => serial(() => change(bans, 'delete')),
    flush: () => serial(flush),
    close: () => serial(async () => (options.remove_on_stop ? flush() : okResult)),
    verify: (expected) => serial(async () => {
      const r = await runner.run([...base, 'show'], { maxOutput: LISTING_MAX_OUTPUT });
      const have = new Set<string>();
      if (r.ok) for (const line of r.stdout.split('\n')) {
        const a = parseAddress(line.trim());
        if (a) have.add(a);
      } else if (!/does not exist/.test(r.stderr)) {
        deps.log.error('Cannot list pf table', { action: name, error: r.error });
        return [];
      }
      return liveBans(expected, deps.clock.now()).filter((b) => !have.has(b.address));
    }),
  };
}
