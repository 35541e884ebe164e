import type { Infer, Spec } from '../config/check.js';
import { isIPv4, parseAddress } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { okResult, type Action, type ActionDeps, type ActionResult } from './action.js';
import { chunks, createRunner, failure, kernelTimeout, LISTING_MAX_OUTPUT, liveBans, requireBinary, SAFE_NAME, serialize } from './runner.js';

export const nftablesOptions = {
  table: { type: 'string', description: 'table (family inet) that holds the sets and chains; default dictdefence' },
  priority: { type: 'int', min: -400, max: 400, description: 'priority of the input/output/forward hooks; default -10' },
  block_output: { type: 'bool', description: 'also drop packets sent to banned addresses; default false' },
  block_forward: { type: 'bool', description: 'also drop forwarded packets from and to banned addresses; default false' },
  remove_on_stop: { type: 'bool', description: 'delete the table when the daemon stops; default false (bans stay)' },
  binary: { type: 'string', description: 'the nft program; default nft (searched in PATH)' },
  timeout: { type: 'duration', description: 'kill an nft run after this long; default 30s' },
  netns: { type: 'string', description: 'network namespace (ip netns) whose firewall this action manages' },
} as const satisfies Spec;
export type NftablesOptions = Infer<typeof nftablesOptions>;

/** Set names inside our table; the element type follows from the name. */
export const NFT_SET_V4 = 'banned_v4';
export const NFT_SET_V6 = 'banned_v6';
/** Elements per `nft -f -` run: 100,000 bans become five runs, each well under a second. */
export const NFT_CHUNK = 20_000;
/** nft 1.0.6 rejects element timeouts above 99,999,999 s; older tools store milliseconds in 32 bits. 2^32 ms works everywhere. */
export const NFT_MAX_TIMEOUT = 4_294_967;

interface ChainPlan { readonly name: string; readonly hook: string; readonly rules: readonly string[] }

/** The chains (and their rules) the options ask for; a disabled chain is deleted at init. */
function chainPlan(o: NftablesOptions): { wanted: ChainPlan[]; unwanted: string[] } {
  const s4 = `@${NFT_SET_V4}`, s6 = `@${NFT_SET_V6}`;
  const input: ChainPlan = { name: 'input', hook: 'input', rules: [`ip saddr ${s4} counter drop`, `ip6 saddr ${s6} counter drop`] };
  const output: ChainPlan = { name: 'output', hook: 'output', rules: [`ip daddr ${s4} counter drop`, `ip6 daddr ${s6} counter drop`] };
  const forward: ChainPlan = {
    name: 'forward', hook: 'forward',
    rules: [`ip saddr ${s4} counter drop`, `ip6 saddr ${s6} counter drop`, `ip daddr ${s4} counter drop`, `ip6 daddr ${s6} counter drop`],
  };
  const wanted = [input], unwanted: string[] = [];
  if (o.block_output) wanted.push(output); else unwanted.push('output');
  if (o.block_forward) wanted.push(forward); else unwanted.push('forward');
  return { wanted, unwanted };
}

/** The bans of each set: IPv4 addresses go to one, IPv6 to the other. */
const bySet = (bans: readonly Ban[]): [string, Ban[]][] =>
  [[NFT_SET_V4, bans.filter((b) => isIPv4(b.address))], [NFT_SET_V6, bans.filter((b) => !isIPv4(b.address))]];

/** Element list text: `a timeout 90s, b` (no timeout = permanent). */
const elements = (bans: readonly Ban[], now: number, withTimeout: boolean): string =>
  bans.map((b) => {
    const t = withTimeout ? kernelTimeout(b, now, NFT_MAX_TIMEOUT) : null;
    return t === null ? b.address : `${b.address} timeout ${t}s`;
  }).join(', ');

/**
 * nft reports "FILE:LINE:COL: Error: WHY", then the statement, then carets: the generic last-lines summary
 * would keep only the statement and carets, so keep WHY and the statement.
 */
function nftMessage(r: { readonly error: string; readonly stderr: string }): string {
  const lines = r.stderr.split('\n');
  const i = lines.findIndex((l) => l.includes('Error: '));
  if (i < 0) return r.error;
  const why = (lines[i] ?? '').replace(/^.*?Error: /, '');
  const statement = (lines[i + 1] ?? '').trim().slice(0, 200);
  return `nft failed: ${why}${statement ? ` in "${statement}"` : ''}`;
}

/** What `nft -j list table` tells verify: set members, and the number of rules in each chain. */
interface TableState { readonly members: Set<string>; readonly rules: Map<string, number> }

function parseTable(json: string): TableState | undefined {
  let doc: unknown;
  try { doc = JSON.parse(json); } catch { return undefined; }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) return undefined;
  const members = new Set<string>(), rules = new Map<string, number>();
  for (const item of items as Record<string, unknown>[]) {
    const set = item.set as { elem?: unknown[] } | undefined;
    for (const e of set?.elem ?? []) {
      // A permanent element is a bare string; one with a timeout is { elem: { val, timeout, expires } }.
      const val = typeof e === 'string' ? e : (e as { elem?: { val?: unknown } }).elem?.val;
      const a = typeof val === 'string' ? parseAddress(val) : undefined;
      if (a) members.add(a);
    }
    const chain = item.chain as { name?: string } | undefined;
    if (chain?.name) rules.set(chain.name, rules.get(chain.name) ?? 0);
    const rule = item.rule as { chain?: string } | undefined;
    if (rule?.chain) rules.set(rule.chain, (rules.get(rule.chain) ?? 0) + 1);
  }
  return { members, rules };
}

/**
 * nftables: one table (`inet dictdefence`) with an IPv4 and an IPv6 set (`flags timeout`) and drop rules in
 * base chains at `priority`. Bans carry the remaining ban time as the element's kernel timeout, so the
 * kernel lifts them even when the daemon is dead; permanent bans carry none. Every verb is one atomic
 * `nft -f -` transaction per 20,000 addresses.
 *
 * Idempotency without `destroy element` (nft ≥ 1.0.8 only): a ban runs `add`, `delete`, `add` on the same
 * elements in one transaction, so an element already present gets exactly the new timeout on any kernel
 * (older kernels keep the first timeout when an element is added again); an unban runs `add` then `delete`, which cannot fail
 * on an absent element.
 */
export function createNftablesAction(name: string, options: NftablesOptions, deps: ActionDeps): Action {
  const table = options.table ?? 'dictdefence';
  const binary = options.binary ?? 'nft';
  const priority = options.priority ?? -10;
  const runner = createRunner({ netns: options.netns, timeoutMs: options.timeout });
  const serial = serialize();
  const plan = chainPlan(options);
  const T = `inet ${table}`;

  const nft = (script: string) => runner.run([binary, '-f', '-'], { input: script });

  /**
   * Creates what is missing, keeps the sets (and their bans) as they are, and rebuilds our chains in the
   * same transaction: `add` (a no-op if present) then `flush` and `delete`, then the wanted definition.
   * A restart thus never duplicates rules, applies a changed priority, and no packet passes unfiltered.
   */
  const setupScript = (): string => {
    const lines = [
      `add table ${T}`,
      `add set ${T} ${NFT_SET_V4} { type ipv4_addr; flags timeout; }`,
      `add set ${T} ${NFT_SET_V6} { type ipv6_addr; flags timeout; }`,
    ];
    for (const c of [...plan.wanted.map((p) => p.name), ...plan.unwanted]) {
      lines.push(`add chain ${T} ${c}`, `flush chain ${T} ${c}`, `delete chain ${T} ${c}`);
    }
    for (const c of plan.wanted) {
      lines.push(`add chain ${T} ${c.name} { type filter hook ${c.hook} priority ${priority}; policy accept; }`);
      for (const r of c.rules) lines.push(`add rule ${T} ${c.name} ${r}`);
    }
    return `${lines.join('\n')}\n`;
  };

  const setup = async (): Promise<string | undefined> => {
    const r = await nft(setupScript());
    if (r.ok) return undefined;
    return /File exists/.test(r.stderr)
      ? `${nftMessage(r)}: a set in table "${table}" exists with another definition; remove it with "nft delete table ${T}"`
      : nftMessage(r);
  };

  /** Runs `script`; if it fails (say the table was deleted by hand), sets the table up again and retries once. */
  const apply = async (script: string): Promise<string | undefined> => {
    const first = await nft(script);
    if (first.ok) return undefined;
    deps.log.warn('nft batch failed; recreating the table and retrying', { action: name, error: nftMessage(first) });
    const again = await setup();
    if (again) return again;
    const second = await nft(script);
    return second.ok ? undefined : nftMessage(second);
  };

  const batch = async (bans: readonly Ban[], adding: boolean): Promise<ActionResult> => {
    const failed: Ban[] = [];
    let firstError = '';
    for (const part of chunks(bans, NFT_CHUNK)) {
      const now = deps.clock.now();
      const lines: string[] = [];
      for (const [set, group] of bySet(part)) {
        if (group.length === 0) continue;
        lines.push(`add element ${T} ${set} { ${elements(group, now, false)} }`, `delete element ${T} ${set} { ${elements(group, now, false)} }`);
        if (adding) lines.push(`add element ${T} ${set} { ${elements(group, now, true)} }`);
      }
      const error = await apply(`${lines.join('\n')}\n`);
      if (error) { failed.push(...part); firstError ||= error; }
    }
    return failed.length === 0 ? okResult : failure(name, firstError, failed);
  };

  // One nft run is one kernel transaction: the sets are emptied and filled again with no moment in between
  // where a banned address gets through, and each element is added once with its timeout, where `batch`
  // adds, deletes and adds it again (the one way to renew the timeout of an element that may exist). For
  // 100,000 bans here: 0.45 s against 2.3 s.
  const replaceAll = async (bans: readonly Ban[]): Promise<ActionResult> => {
    const now = deps.clock.now();
    const lines = [`flush set ${T} ${NFT_SET_V4}`, `flush set ${T} ${NFT_SET_V6}`];
    for (const [set, group] of bySet(bans)) {
      for (const part of chunks(group, NFT_CHUNK)) lines.push(`add element ${T} ${set} { ${elements(part, now, true)} }`);
    }
    const error = await apply(`${lines.join('\n')}\n`);
    return error ? failure(name, error, bans) : okResult;
  };

  const list = async (): Promise<TableState | undefined> => {
    const r = await runner.run([binary, '-j', 'list', 'table', 'inet', table], { maxOutput: LISTING_MAX_OUTPUT });
    return r.ok ? parseTable(r.stdout) : undefined;
  };

  return {
    name,
    type: 'nftables',
    init: () => serial(async () => {
      if (!SAFE_NAME.test(table)) return failure(name, `invalid table name "${table}"`, []);
      const missing = await requireBinary(runner, name, binary, ['--version'], 'nftables');
      if (missing) return { ok: false, error: missing, failed: [] };
      const error = await setup();
      return error ? failure(name, error, []) : okResult;
    }),
    ban: (bans) => serial(() => batch(bans, true)),
    replaceAll: (bans) => serial(() => replaceAll(bans)),
    unban: (bans) => serial(() => batch(bans, false)),
    flush: () => serial(async () => {
      const error = await apply(`flush set ${T} ${NFT_SET_V4}\nflush set ${T} ${NFT_SET_V6}\n`);
      return error ? failure(name, error, []) : okResult;
    }),
    close: () => serial(async () => {
      if (!options.remove_on_stop) return okResult;
      // `add` first so that deleting a table someone already removed is not an error.
      const r = await nft(`add table ${T}\ndelete table ${T}\n`);
      return r.ok ? okResult : failure(name, nftMessage(r), []);
    }),
    verify: (expected) => serial(async () => {
      const live = liveBans(expected, deps.clock.now());
      const state = await list();
      const intact = state !== undefined &&
        plan.wanted.every((c) => state.rules.get(c.name) === c.rules.length) &&
        plan.unwanted.every((c) => !state.rules.has(c));
      if (!intact) {
        deps.log.warn('nftables table missing or altered; setting it up again', { action: name, table });
        const error = await setup();
        if (error) { deps.log.error('Cannot set up nftables table', { action: name, error }); return live; }
      }
      const members = state?.members ?? new Set<string>();
      return live.filter((b) => !members.has(b.address));
    }),
  };
}
