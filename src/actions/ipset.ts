import type { Infer, Spec } from '../config/check.js';
import { isIPv4, parseAddress } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { okResult, type Action, type ActionDeps, type ActionResult } from './action.js';
import { ensureJumps, families, JUMP_FROM, removeJumps, type Family } from './iptables.js';
import { createRunner, failure, kernelTimeout, LISTING_MAX_OUTPUT, liveBans, requireBinary, SAFE_NAME, serialize } from './runner.js';

export const ipsetOptions = {
  set: { type: 'string', description: 'prefix of the set names (NAME-v4, NAME-v6); default dictdefence' },
  maxelem: { type: 'int', min: 1, max: 1 << 30, description: 'most addresses per set; a ban beyond it fails loudly; default 65536' },
  blocktype: { type: 'string', oneOf: ['DROP', 'REJECT'], description: 'target of the rule matching the set; default DROP' },
  jump_from: { type: 'strings', description: 'built-in chains holding the rule that matches the set (INPUT, FORWARD); default [INPUT]' },
  ipv6: { type: 'bool', description: 'also keep an IPv6 set and ip6tables rule; default true' },
  binary: { type: 'string', description: 'the ipset program; default ipset' },
  iptables: { type: 'string', description: 'iptables program for the matching rule; default iptables (ip6tables derived)' },
  remove_on_stop: { type: 'bool', description: 'remove the rules and destroy the sets when the daemon stops; default false' },
  timeout: { type: 'duration', description: 'kill an ipset or iptables run after this long; default 30s' },
  netns: { type: 'string', description: 'network namespace (ip netns) whose firewall this action manages' },
} as const satisfies Spec;
export type IpsetOptions = Infer<typeof ipsetOptions>;

/** ipset refuses timeouts above 2,147,483 s (24.8 days); longer bans are capped and re-added by verify. */
export const IPSET_MAX_TIMEOUT = 2_147_483;

/**
 * ipset: a `hash:ip` set per address family, created with timeout support, so every ban carries its
 * remaining time (permanent bans `timeout 0`) and the kernel lifts it even when the daemon is dead; one
 * iptables/ip6tables rule per chain matches the set. Changes go through `ipset restore -exist` (re-adding
 * an element refreshes its timeout; deleting an absent one is no error). A full set is not a silent loss:
 * the bans that did not fit come back as failed, with an error that says to raise `maxelem`.
 */
export function createIpsetAction(name: string, options: IpsetOptions, deps: ActionDeps): Action {
  const prefix = options.set ?? 'dictdefence';
  const ipset = options.binary ?? 'ipset';
  const maxelem = options.maxelem ?? 65_536;
  const target = options.blocktype ?? 'DROP';
  const jumps = options.jump_from ?? ['INPUT'];
  const fams = families({ binary: options.iptables, ipv6: options.ipv6 });
  const runner = createRunner({ netns: options.netns, timeoutMs: options.timeout });
  const serial = serialize();
  const setName = (f: Family): string => `${prefix}-${f.v6 ? 'v6' : 'v4'}`;
  const match = (f: Family): string[] => ['-m', 'set', '--match-set', setName(f), 'src', '-j', target];

  const setup = async (f: Family): Promise<string | undefined> => {
    const set = setName(f);
    const r = await runner.run([ipset, 'create', set, 'hash:ip', 'family', f.v6 ? 'inet6' : 'inet', 'timeout', '0', 'maxelem', String(maxelem), '-exist']);
    if (!r.ok) {
      return /already exists/.test(r.stderr)
        ? `set "${set}" exists with other settings (maxelem ${maxelem} or timeout support differs); remove its iptables rule and run "ipset destroy ${set}", or keep its old maxelem`
        : r.error;
    }
    return ensureJumps(runner, f, jumps, match(f));
  };

  /**
   * Feeds `lines` to `ipset restore -exist`. ipset stops at the first bad line ("Error in line N") after
   * applying the ones before it: a full set fails that line and every later add; any other error fails
   * that line only, and the rest is fed again.
   */
  const restore = async (f: Family, lines: readonly string[], bans: readonly Ban[]): Promise<{ failed: Ban[]; error: string }> => {
    const failed: Ban[] = [];
    let error = '';
    let start = 0;
    while (start < lines.length) {
      const r = await runner.run([ipset, 'restore', '-exist'], { input: `${lines.slice(start).join('\n')}\n` });
      if (r.ok) break;
      const m = /Error in line (\d+): (.*)/.exec(r.stderr);
      const bad = m ? start + Number(m[1]) - 1 : -1;
      if (bad < start || bad >= lines.length) { failed.push(...bans.slice(start)); error ||= r.error; break; }
      if (/is full/.test(m?.[2] ?? '')) {
        failed.push(...bans.slice(bad));
        error = `set "${setName(f)}" is full (maxelem ${maxelem}): ${lines.length - bad} ban(s) not applied; raise maxelem`;
        break;
      }
      failed.push(bans[bad] as Ban);
      error ||= r.error;
      start = bad + 1;
    }
    return { failed, error };
  };

  const change = async (bans: readonly Ban[], adding: boolean): Promise<ActionResult> => {
    const failed: Ban[] = [];
    let firstError = '';
    for (const f of fams) {
      const group = bans.filter((b) => isIPv4(b.address) !== f.v6);
      if (group.length === 0) continue;
      const now = deps.clock.now();
      const lines = group.map((b) => adding
        ? `add ${setName(f)} ${b.address} timeout ${kernelTimeout(b, now, IPSET_MAX_TIMEOUT) ?? 0}`
        : `del ${setName(f)} ${b.address}`);
      let r = await restore(f, lines, group);
      if (r.failed.length > 0 && /does not exist/.test(r.error)) {
        // The set was destroyed by hand: create it (and its rule) again and retry once.
        const error = await setup(f);
        r = error ? { failed: group, error } : await restore(f, lines, group);
      }
      failed.push(...r.failed);
      firstError ||= r.error;
    }
    return failed.length === 0 ? okResult : failure(name, firstError, failed);
  };

  const everyFamily = async (fn: (f: Family) => Promise<string | undefined>): Promise<ActionResult> => {
    for (const f of fams) {
      const error = await fn(f);
      if (error) return failure(name, error, []);
    }
    return okResult;
  };

  const members = async (f: Family): Promise<Set<string>> => {
    const r = await runner.run([ipset, 'save', setName(f)], { maxOutput: LISTING_MAX_OUTPUT });
    const out = new Set<string>();
    if (r.ok) for (const line of r.stdout.split('\n')) {
      const a = line.startsWith('add ') ? parseAddress(line.split(' ')[2] ?? '') : undefined;
      if (a) out.add(a);
    }
    return out;
  };

  return {
    name,
    type: 'ipset',
    init: () => serial(async () => {
      if (!SAFE_NAME.test(prefix)) return failure(name, `invalid set name "${prefix}"`, []);
      const bad = jumps.find((j) => !(JUMP_FROM as readonly string[]).includes(j));
      if (bad) return failure(name, `cannot match the set in "${bad}": use ${JUMP_FROM.join(' or ')}`, []);
      for (const [bin, pkg] of [[ipset, 'ipset'], ...fams.map((f) => [f.bin, 'iptables'])] as const) {
        const missing = await requireBinary(runner, name, bin, ['--version'], pkg);
        if (missing) return { ok: false, error: missing, failed: [] };
      }
      return everyFamily(setup);
    }),
    ban: (bans) => serial(() => change(bans, true)),
    unban: (bans) => serial(() => change(bans, false)),
    flush: () => serial(() => everyFamily(async (f) => {
      const r = await runner.run([ipset, 'flush', setName(f)]);
      return r.ok || /does not exist/.test(r.stderr) ? undefined : r.error;
    })),
    close: () => serial(async () => {
      if (!options.remove_on_stop) return okResult;
      return everyFamily(async (f) => {
        await removeJumps(runner, f, jumps, match(f));
        const r = await runner.run([ipset, 'destroy', setName(f)]);
        return r.ok || /does not exist/.test(r.stderr) ? undefined : r.error;
      });
    }),
    verify: (expected) => serial(async () => {
      const live = liveBans(expected, deps.clock.now());
      const missing: Ban[] = [];
      for (const f of fams) {
        const error = await setup(f);
        if (error) deps.log.error('Cannot set up ipset', { action: name, error });
        const have = await members(f);
        missing.push(...live.filter((b) => isIPv4(b.address) !== f.v6 && !have.has(b.address)));
      }
      return missing;
    }),
  };
}
