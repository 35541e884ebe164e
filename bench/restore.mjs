// Start-up with `bans` active bans in the SQLite store: the daemon reads them, schedules their unbans and
// re-applies them in one batch per action. Timed from spawning `dictdefence run` to its "Restored N active
// bans" log line (node's own start-up included), for
//   - the nftables action inside a network namespace the bench creates and deletes (root and nft needed):
//     the real thing, counted afterwards with `nft -j list set`;
//   - the noban action: the same start-up without a firewall, to show what the firewall part costs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { distinctAddress } from './corpus.mjs';
import { startDaemon } from './daemon.mjs';
import { median } from './measure.mjs';
import { which } from './throughput.mjs';

const dist = (root, p) => import(join(root, 'dist', p));

/** A fresh store holding `n` active one-week bans of distinct addresses in jail "sshd". */
async function seedStore(root, path, n) {
  const { openStore } = await dist(root, 'stores/index.js');
  const opened = await openStore({ type: 'sqlite', path, retentionMs: 30 * 86_400_000 }, { queue: false });
  if (!opened.ok) throw new Error(opened.error);
  const now = Date.now();
  const rows = Array.from({ length: n }, (_, i) => ({
    address: distinctAddress(i), jail: 'sshd', bannedAt: now - 1000, until: now + 7 * 86_400_000, count: 1,
    reason: '5 failures in 10m', liftedAt: null, liftReason: null, origin: 'bench',
  }));
  await opened.value.importBans(rows);
  await opened.value.close();
}

function configText(dir, action) {
  return `# written by bench/restore.mjs
state_dir: ${dir}
pidfile: ${dir}/dictdefence.pid
control: { socket: ${dir}/control.sock }
store: { type: sqlite, path: ${dir}/state.db }
whitelist_self: false
actions:
  firewall: ${action}
jails:
  sshd:
    sources: [{ type: file, path: ${dir}/auth.log }]
    filter: sshd
    actions: [firewall]
`;
}

async function once(root, dir, bans, action, wrapper) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'auth.log'), '');
  await seedStore(root, join(dir, 'state.db'), bans);
  writeFileSync(join(dir, 'dictdefence.yaml'), configText(dir, action));
  const daemon = await startDaemon({ root, config: join(dir, 'dictdefence.yaml'), wrapper, startTimeoutMs: 120_000 });
  try {
    const restored = await daemon.waitFor(/Restored \d+ active bans/);
    const count = Number(/Restored (\d+)/.exec(restored.text)[1]);
    return { seconds: (restored.at - daemon.spawnedAt) / 1000, restored: count };
  } finally {
    await daemon.stop();
  }
}

/** Whether this process may create network namespaces and has nft. */
function canUseNamespaces() {
  if (process.getuid?.() !== 0 || !which('ip') || !which('nft')) return false;
  try { execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** `runs` timings of one configuration: the median, and every run's figure (the machine is shared and noisy). */
function medianOf(results) {
  const seconds = results.map((r) => r.seconds);
  return { ...results[0], seconds: median(seconds), runs: seconds };
}

export async function restore({ root, work, bans, runs, log }) {
  const out = { bans, rows: [] };
  const n = Math.max(1, runs ?? 1);
  const noban = [];
  const nft = [];
  const namespaces = canUseNamespaces();
  const ns = `dd-bench-${process.pid}`;
  if (namespaces) execFileSync('ip', ['netns', 'add', ns]);
  try {
    // Interleaved, like the throughput figures: a slow minute of the machine weighs on both alike.
    for (let i = 0; i < n; i++) {
      log(`restore ${i + 1}/${n}: ${bans.toLocaleString('en')} active bans, noban action`);
      noban.push(await once(root, join(work, 'restore-noban'), bans, '{ type: noban }', []));
      if (!namespaces) continue;
      log(`restore ${i + 1}/${n}: ${bans.toLocaleString('en')} active bans, nftables action in network namespace ${ns}`);
      const r = await once(root, join(work, 'restore-nft'), bans, '{ type: nftables, table: dd_bench }', ['ip', 'netns', 'exec', ns]);
      const listed = (set) => {
        const doc = JSON.parse(execFileSync('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'set', 'inet', 'dd_bench', set], { encoding: 'utf8', maxBuffer: 1 << 28 }));
        return doc.nftables.reduce((sum, item) => sum + (item.set?.elem?.length ?? 0), 0);
      };
      nft.push({ ...r, inFirewall: listed('banned_v4') + listed('banned_v6') });
      // The next run starts from an empty firewall, as the first did (`add` first: deleting an absent table fails).
      execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: 'add table inet dd_bench\ndelete table inet dd_bench\n' });
    }
  } finally {
    if (namespaces) execFileSync('ip', ['netns', 'del', ns]);
  }
  out.rows.push({ name: 'noban action', ...medianOf(noban) });
  out.rows.push(namespaces
    ? { name: 'nftables action (namespace)', ...medianOf(nft), inFirewall: Math.min(...nft.map((r) => r.inFirewall)) }
    : { name: 'nftables action', skipped: 'needs root, iproute2 and nftables (apt-get install nftables iproute2)' });
  return out;
}
