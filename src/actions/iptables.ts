import type { Infer, Spec } from '../config/check.js';
import { isIPv4, parseAddress } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { okResult, type Action, type ActionDeps, type ActionResult } from './action.js';
import { createRunner, failure, LISTING_MAX_OUTPUT, liveBans, requireBinary, SAFE_NAME, serialize, type Runner } from './runner.js';

export const iptablesOptions = {
  chain: { type: 'string', description: 'our chain in the filter table; default dictdefence' },
  blocktype: { type: 'string', oneOf: ['DROP', 'REJECT'], description: 'target of each ban rule; default DROP' },
  jump_from: { type: 'strings', description: 'built-in chains that jump to ours (INPUT, FORWARD); default [INPUT]' },
  ipv6: { type: 'bool', description: 'also manage ip6tables for IPv6 bans; default true' },
  binary: { type: 'string', description: 'iptables program (iptables, iptables-nft, iptables-legacy or a path); default iptables' },
  binary6: { type: 'string', description: 'ip6tables program; default derived from binary (iptables-legacy → ip6tables-legacy)' },
  remove_on_stop: { type: 'bool', description: 'remove the chain and its jumps when the daemon stops; default false' },
  timeout: { type: 'duration', description: 'kill an iptables run after this long; default 30s' },
  netns: { type: 'string', description: 'network namespace (ip netns) whose firewall this action manages' },
} as const satisfies Spec;
export type IptablesOptions = Infer<typeof iptablesOptions>;

export const JUMP_FROM = ['INPUT', 'FORWARD'] as const;

/** `…/iptables-legacy` → `…/ip6tables-legacy`: the IPv6 twin of an iptables program name. */
export const v6Twin = (binary: string): string => binary.replace(/iptables([^/]*)$/, 'ip6tables$1');

/** One address family: its program, its restore program and its host prefix length. */
export interface Family { readonly v6: boolean; readonly bin: string; readonly restore: string; readonly bits: number }

export function families(o: { binary?: string | undefined; binary6?: string | undefined; ipv6?: boolean | undefined }): Family[] {
  const bin = o.binary ?? 'iptables';
  const out: Family[] = [{ v6: false, bin, restore: `${bin}-restore`, bits: 32 }];
  if (o.ipv6 !== false) {
    const bin6 = o.binary6 ?? v6Twin(bin);
    out.push({ v6: true, bin: bin6, restore: `${bin6}-restore`, bits: 128 });
  }
  return out;
}

/** Ensures `chain` is jumped to from each of `jumps`, once (checked with -C, inserted first with -I). */
export async function ensureJumps(runner: Runner, f: Family, jumps: readonly string[], match: readonly string[]): Promise<string | undefined> {
  for (const from of jumps) {
    if ((await runner.run([f.bin, '-w', '-C', from, ...match])).ok) continue;
    const r = await runner.run([f.bin, '-w', '-I', from, '1', ...match]);
    if (!r.ok) return r.error;
  }
  return undefined;
}

/** Removes every copy of a jump rule (an older version or a hand edit may have added it twice). */
export async function removeJumps(runner: Runner, f: Family, jumps: readonly string[], match: readonly string[]): Promise<void> {
  for (const from of jumps) {
    for (let i = 0; i < 100 && (await runner.run([f.bin, '-w', '-C', from, ...match])).ok; i++) {
      await runner.run([f.bin, '-w', '-D', from, ...match]);
    }
  }
}

/**
 * iptables/ip6tables: our own chain in the filter table, jumped to from INPUT (and FORWARD if asked),
 * holding one `-s ADDRESS -j DROP` rule per ban. Changes are batched through `iptables-restore --noflush
 * -w`; because `-A` would duplicate a rule and `-D` of an absent one aborts the whole batch, every verb
 * lists the chain first and writes only the difference. Works with the nft and the legacy backend
 * (choose with `binary`). Rule matching is linear: above a few thousand bans prefer ipset or nftables.
 */
export function createIptablesAction(name: string, options: IptablesOptions, deps: ActionDeps): Action {
  const chain = options.chain ?? 'dictdefence';
  const target = options.blocktype ?? 'DROP';
  const jumps = options.jump_from ?? ['INPUT'];
  const fams = families(options);
  const runner = createRunner({ netns: options.netns, timeoutMs: options.timeout });
  const serial = serialize();
  const jump = ['-j', chain];
  const RULE = new RegExp(`^-A ${chain} -s (\\S+?)/(?:32|128) -j (\\S+)`);

  /** Our chain's rules by address (the listed rule text, reusable after `-D`), or undefined if the chain is missing. */
  const list = async (f: Family): Promise<Map<string, { spec: string; target: string }> | undefined> => {
    const r = await runner.run([f.bin, '-w', '-S', chain], { maxOutput: LISTING_MAX_OUTPUT });
    if (!r.ok) return undefined;
    const out = new Map<string, { spec: string; target: string }>();
    for (const line of r.stdout.split('\n')) {
      const m = RULE.exec(line);
      const a = m?.[1] ? parseAddress(m[1]) : undefined;
      if (a && m?.[2]) out.set(a, { spec: line.slice(3), target: m[2] });
    }
    return out;
  };

  const restore = async (f: Family, lines: readonly string[]): Promise<string | undefined> => {
    if (lines.length === 0) return undefined;
    const r = await runner.run([f.restore, '--noflush', '-w'], { input: `*filter\n${lines.join('\n')}\nCOMMIT\n` });
    return r.ok ? undefined : r.error;
  };

  /** Creates the chain if missing, adds missing jumps, and converts rules left with another blocktype. */
  const setup = async (f: Family): Promise<string | undefined> => {
    let rules = await list(f);
    if (!rules) {
      const r = await runner.run([f.bin, '-w', '-N', chain]);
      if (!r.ok && !/exists/i.test(r.stderr)) return r.error;
      rules = new Map();
    }
    const convert = [...rules].filter(([, r]) => r.target !== target);
    const error = await restore(f, convert.flatMap(([a, r]) => [`-D ${r.spec}`, `-A ${chain} -s ${a}/${f.bits} -j ${target}`]));
    return error ?? ensureJumps(runner, f, jumps, jump);
  };

  const change = async (bans: readonly Ban[], adding: boolean): Promise<ActionResult> => {
    const failed: Ban[] = [];
    let firstError = '';
    for (const f of fams) {
      const group = bans.filter((b) => isIPv4(b.address) !== f.v6);
      if (group.length === 0) continue;
      const write = async (): Promise<string | undefined> => {
        const rules = await list(f);
        if (!rules) return adding ? `chain "${chain}" is missing` : undefined;
        // A jump deleted by hand would make the new rules dead; checking costs one -C per chain.
        const jumpError = adding ? await ensureJumps(runner, f, jumps, jump) : undefined;
        if (jumpError) return jumpError;
        const lines = new Set<string>();
        for (const b of group) {
          const have = rules.get(b.address);
          if (adding && !have) lines.add(`-A ${chain} -s ${b.address}/${f.bits} -j ${target}`);
          if (!adding && have) lines.add(`-D ${have.spec}`);
        }
        return restore(f, [...lines]);
      };
      let error = await write();
      if (error && adding) {
        // The chain or a jump was removed by hand: set them up again and retry once.
        deps.log.warn('iptables batch failed; setting the chain up again and retrying', { action: name, error });
        error = (await setup(f)) ?? (await write());
      }
      if (error) { failed.push(...group); firstError ||= error; }
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

  return {
    name,
    type: 'iptables',
    init: () => serial(async () => {
      if (!SAFE_NAME.test(chain)) return failure(name, `invalid chain name "${chain}"`, []);
      const bad = jumps.find((j) => !(JUMP_FROM as readonly string[]).includes(j));
      if (bad) return failure(name, `cannot jump from "${bad}": use ${JUMP_FROM.join(' or ')}`, []);
      for (const f of fams) {
        const missing = await requireBinary(runner, name, f.bin, ['--version'], 'iptables');
        if (missing) return { ok: false, error: missing, failed: [] };
      }
      return everyFamily(setup);
    }),
    ban: (bans) => serial(() => change(bans, true)),
    unban: (bans) => serial(() => change(bans, false)),
    flush: () => serial(() => everyFamily(async (f) => {
      const r = await runner.run([f.bin, '-w', '-F', chain]);
      return r.ok || /No chain|does not exist/i.test(r.stderr) ? undefined : r.error;
    })),
    close: () => serial(async () => {
      if (!options.remove_on_stop) return okResult;
      return everyFamily(async (f) => {
        await removeJumps(runner, f, jumps, jump);
        await runner.run([f.bin, '-w', '-F', chain]);
        const r = await runner.run([f.bin, '-w', '-X', chain]);
        return r.ok || /No chain|does not exist/i.test(r.stderr) ? undefined : r.error;
      });
    }),
    verify: (expected) => serial(async () => {
      const live = liveBans(expected, deps.clock.now());
      const missing: Ban[] = [];
      for (const f of fams) {
        // Re-running setup is cheap and idempotent: it restores a deleted chain or jump.
        const error = await setup(f);
        if (error) deps.log.error('Cannot set up iptables chain', { action: name, error });
        const rules = (await list(f)) ?? new Map();
        missing.push(...live.filter((b) => isIPv4(b.address) !== f.v6 && !rules.has(b.address)));
      }
      return missing;
    }),
  };
}
