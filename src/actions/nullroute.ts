import type { Infer, Spec } from '../config/check.js';
import { isIPv4, parseAddress, type Address } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { okResult, type Action, type ActionDeps, type ActionResult } from './action.js';
import { createRunner, failure, LISTING_MAX_OUTPUT, liveBans, requireBinary, serialize, type Runner } from './runner.js';

export const nullrouteOptions = {
  platform: { type: 'string', oneOf: ['linux', 'bsd'], description: 'linux (ip route) or bsd (route, also macOS); default linux' },
  binary: { type: 'string', description: 'the ip (linux) or route (bsd) program; default ip or route' },
  proto: { type: 'int', min: 1, max: 255, description: 'linux: route protocol number marking our routes; default 222' },
  remove_on_stop: { type: 'bool', description: 'remove the routes when the daemon stops; default false' },
  timeout: { type: 'duration', description: 'kill an ip or route run after this long; default 30s' },
  netns: { type: 'string', description: 'linux: network namespace (ip netns) whose routes this action manages' },
} as const satisfies Spec;
export type NullrouteOptions = Infer<typeof nullrouteOptions>;

/** Unused by the protocols in iproute2's rt_protos, so `proto 222` marks our routes and only ours. */
export const DEFAULT_PROTO = 222;

const prefix = (a: Address): string => `${a}/${isIPv4(a) ? 32 : 128}`;

/**
 * The old tool's first method: a blackhole route per banned address, so replies to it go nowhere (the
 * attacker's SYN arrives, its SYN-ACK never leaves). No firewall needed, but no kernel timeout either:
 * the daemon lifts the ban. Linux batches through `ip -force -batch -`; BSD and macOS run `route` once
 * per address (it has no batch mode).
 */
export function createNullrouteAction(name: string, options: NullrouteOptions, deps: ActionDeps): Action {
  const runner = createRunner({ netns: options.netns, timeoutMs: options.timeout });
  return options.platform === 'bsd' ? bsdNullroute(name, options, runner) : linuxNullroute(name, options, deps, runner);
}

function linuxNullroute(name: string, options: NullrouteOptions, deps: ActionDeps, runner: Runner): Action {
  const ip = options.binary ?? 'ip';
  const proto = String(options.proto ?? DEFAULT_PROTO);
  const serial = serialize();

  /**
   * Runs one `ip -force -batch -` (-force: go on after a failing line). ip reports each failing line as
   * its message then "Command failed -:N"; returns the 0-based failing lines with their message.
   */
  const batch = async (lines: readonly string[]): Promise<Map<number, string> | string> => {
    if (lines.length === 0) return new Map();
    const r = await runner.run([ip, '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
    const failedLines = new Map<number, string>();
    if (r.ok) return failedLines;
    let message: string[] = [];
    for (const line of r.stderr.split('\n')) {
      const m = /^Command failed -:(\d+)/.exec(line);
      if (m) { failedLines.set(Number(m[1]) - 1, message.join(' ')); message = []; } else if (line.trim()) message.push(line.trim());
    }
    return failedLines.size > 0 ? failedLines : r.error;
  };

  const change = async (bans: readonly Ban[], adding: boolean): Promise<ActionResult> => {
    // `replace` succeeds whether or not the route exists; `del` of an absent route says "No such process".
    const lines = bans.map((b) => `route ${adding ? 'replace' : 'del'} blackhole ${prefix(b.address)} proto ${proto}`);
    const result = await batch(lines);
    if (typeof result === 'string') return failure(name, result, bans);
    const failed: Ban[] = [];
    let firstError = '';
    for (const [i, message] of result) {
      if (!adding && /No such process/.test(message)) continue;
      failed.push(bans[i] as Ban);
      firstError ||= `route ${adding ? 'add' : 'del'} ${bans[i]?.address} failed: ${message}`;
    }
    return failed.length === 0 ? okResult : failure(name, firstError, failed);
  };

  /** Our blackhole routes (those marked with our protocol number), both families. */
  const list = async (): Promise<Set<Address> | string> => {
    const out = new Set<Address>();
    for (const family of ['-4', '-6']) {
      const r = await runner.run([ip, '-j', family, 'route', 'show', 'type', 'blackhole', 'proto', proto], { maxOutput: LISTING_MAX_OUTPUT });
      if (!r.ok) return r.error;
      let routes: unknown;
      try { routes = JSON.parse(r.stdout || '[]'); } catch { return `cannot parse "ip -j route" output`; }
      for (const route of Array.isArray(routes) ? routes as { dst?: unknown }[] : []) {
        const a = typeof route.dst === 'string' ? parseAddress(route.dst) : undefined;
        if (a) out.add(a);
      }
    }
    return out;
  };

  const flush = async (): Promise<ActionResult> => {
    const ours = await list();
    if (typeof ours === 'string') return failure(name, ours, []);
    const lines = [...ours].map((a) => `route del blackhole ${prefix(a)} proto ${proto}`);
    const result = await batch(lines);
    const error = typeof result === 'string' ? result : [...result.values()].find((m) => !/No such process/.test(m));
    return error ? failure(name, error, []) : okResult;
  };

  return {
    name,
    type: 'nullroute',
    init: async () => {
      const missing = await requireBinary(runner, name, ip, ['-V'], 'iproute2');
      return missing ? { ok: false, error: missing, failed: [] } : okResult;
    },
    ban: (bans) => serial(() => change(bans, true)),
    unban: (bans) => serial(() => change(bans, false)),
    flush: () => serial(flush),
    close: () => serial(async () => (options.remove_on_stop ? flush() : okResult)),
    verify: (expected) => serial(async () => {
      const ours = await list();
      if (typeof ours === 'string') { deps.log.error('Cannot list blackhole routes', { action: name, error: ours }); return []; }
      return liveBans(expected, deps.clock.now()).filter((b) => !ours.has(b.address));
    }),
  };
}

/**
 * BSD and macOS: `route -n add [-inet6] -host ADDRESS 127.0.0.1|::1 -blackhole`. Without a batch mode or a
 * marker for our routes, flush removes the addresses this process banned, and there is no verify.
 */
function bsdNullroute(name: string, options: NullrouteOptions, runner: Runner): Action {
  const route = options.binary ?? 'route';
  const banned = new Set<Address>();
  const serial = serialize();

  const argv = (a: Address, adding: boolean): string[] => {
    const family = isIPv4(a) ? [] : ['-inet6'];
    return adding
      ? [route, '-n', 'add', ...family, '-host', a, isIPv4(a) ? '127.0.0.1' : '::1', '-blackhole']
      : [route, '-n', 'delete', ...family, '-host', a];
  };

  const change = async (addresses: readonly Address[], adding: boolean, bans?: readonly Ban[]): Promise<ActionResult> => {
    const failed: Ban[] = [];
    let firstError = '';
    for (const [i, a] of addresses.entries()) {
      const r = await runner.run(argv(a, adding));
      // An existing route on add, or a missing one on delete, is the state we wanted.
      const fine = r.ok || (adding ? /File exists|already in table/ : /not in table|No such process|not found/).test(r.stderr);
      if (fine) { if (adding) banned.add(a); else banned.delete(a); continue; }
      if (bans?.[i]) failed.push(bans[i]);
      firstError ||= r.ok ? '' : r.error;
    }
    return firstError ? failure(name, firstError, failed) : okResult;
  };

  return {
    name,
    type: 'nullroute',
    init: async () => {
      // BSD route has no --version; `route -n get 127.0.0.1` only reads, and proves the program runs.
      const r = await runner.run([route, '-n', 'get', '127.0.0.1']);
      return !r.ok && r.notFound
        ? { ok: false, error: `Cannot start action "${name}": "${route}" is not installed (set "binary" to its path)`, failed: [] }
        : okResult;
    },
    ban: (bans) => serial(() => change(bans.map((b) => b.address), true, bans)),
    unban: (bans) => serial(() => change(bans.map((b) => b.address), false, bans)),
    flush: () => serial(() => change([...banned], false)),
    close: () => serial(async () => (options.remove_on_stop ? change([...banned], false) : okResult)),
  };
}
