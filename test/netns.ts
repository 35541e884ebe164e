import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { exec } from '../src/core/exec.js';
import { missing } from './ci.js';

/**
 * Network namespaces for tests that drive real firewalls. Every rule a test writes goes into a namespace
 * it created, and every namespace is deleted again (tests call `deleteAll` in afterAll and in finally).
 */

const created = new Set<string>();

/** Runs argv and returns stdout; throws with stderr on failure (tests want a loud stop). */
export async function run(argv: readonly string[], input?: string): Promise<string> {
  const r = await exec(argv, { timeoutMs: 60_000, maxOutput: 256 << 20, ...(input !== undefined ? { input } : {}) });
  if (!r.ok) throw new Error(r.error);
  if (r.value.code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.value.code}): ${r.value.stderr.trim()}`);
  return r.value.stdout;
}

/** Runs argv inside namespace `ns`. */
export const inNs = (ns: string, argv: readonly string[], input?: string): Promise<string> =>
  run(['ip', 'netns', 'exec', ns, ...argv], input);

export async function createNetns(prefix = 'ddtest'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await run(['ip', 'netns', 'add', name]);
  created.add(name);
  await inNs(name, ['ip', 'link', 'set', 'lo', 'up']);
  return name;
}

export async function deleteNetns(name: string): Promise<void> {
  created.delete(name);
  await exec(['ip', 'netns', 'del', name], { timeoutMs: 30_000 });
}

/** Deletes every namespace this process created and has not deleted yet. */
export async function deleteAll(): Promise<void> {
  for (const name of [...created]) await deleteNetns(name);
}

/**
 * True when the firewall tests cannot run here (not root, or a tool missing): prints why outside CI and
 * throws under CI=true, where a missing component must fail the run.
 */
export async function firewallUnavailable(binaries: readonly string[]): Promise<boolean> {
  if (process.getuid?.() !== 0) return missing('root', 'network namespaces and firewall rules need root');
  for (const b of ['ip', ...binaries]) {
    if (!onPath(b)) return missing(b, `"${b}" is not installed (apt-get install nftables iptables ipset iproute2)`);
  }
  return false;
}

/** True when `program` is an executable in PATH (looked up here rather than through `which`, a shell script). */
export function onPath(program: string): boolean {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    try { accessSync(join(dir, program), constants.X_OK); return true; } catch { /* next directory */ }
  }
  return false;
}

/**
 * A fingerprint of the host's own firewall and routes, taken before and after a suite: the tests must
 * never change it. Tools that are absent contribute their error text, which does not change either.
 */
export async function hostFirewallFingerprint(): Promise<string> {
  const hash = createHash('md5');
  for (const argv of [['nft', 'list', 'ruleset'], ['ipset', 'list', '-n'], ['ip', 'route', 'show', 'type', 'blackhole'], ['ip', '-6', 'route', 'show', 'type', 'blackhole'],
    ['iptables-legacy-save'], ['ip6tables-legacy-save']]) {
    const r = await exec(argv, { timeoutMs: 30_000, maxOutput: 256 << 20 });
    hash.update(`${argv.join(' ')}\n${r.ok ? `${r.value.code}\n${r.value.stdout}` : r.error}\n`);
  }
  return hash.digest('hex');
}
