// Line → ban latency with a running daemon: a file source on a log file, the sshd filter, the default window
// tracker (5 failures in 10 minutes), the SQLite store (persist first) and a command action that appends
// bash's $EPOCHREALTIME to a file. For each of `bans` addresses the bench appends four failure lines, lets
// the daemon read them, then appends the fifth and times:
//   total  = the action's timestamp − the moment the fifth line was appended (what the issue asks for)
//   daemon = when the daemon's "Ban ADDRESS" log line reached the bench − that moment: read, match, track,
//            commit to the store (it survives a kill -9 from there; its flush to disk runs while the action
//            spawns, see Store.durable); logged right before the action is called
//   action = total − daemon: spawning the command and starting bash, the action's own process start.
//   daemon CPU per ban: the daemon's user + system time over the section (/proc/PID/stat) divided by the bans:
//            reading, matching, the store, starting the action and waiting for it; `spawner` says how it
//            starts commands (src/core/exec.ts).
//   floor  = the same append read by an idle Node process watching the file, which answers at once on its
//            standard error (bench/wake-floor.mjs): the host's two wake-ups inside `daemon`, with no DictDefence
//            code between them; one sample after each ban, so both see the host in the same state.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bsdTime } from './corpus.mjs';
import { nowMs, startDaemon } from './daemon.mjs';
import { percentile } from './measure.mjs';
import { which } from './throughput.mjs';
import { startWakeFloor } from './wake-floor.mjs';

const line = (address, i) =>
  `${bsdTime(Date.now())} web1 sshd[${4000 + i}]: Failed password for root from ${address} port ${20000 + i} ssh2\n`;

export async function latency({ root, work, bans, log }) {
  const bash = which('bash');
  if (!bash) return { skipped: 'bash not found (the timestamping action needs $EPOCHREALTIME)' };
  const dir = join(work, 'latency');
  mkdirSync(join(dir, 'state'), { recursive: true });
  const logFile = join(dir, 'auth.log');
  const stamps = join(dir, 'stamps');
  writeFileSync(logFile, '');
  writeFileSync(stamps, '');
  const config = join(dir, 'dictdefence.yaml');
  writeFileSync(config, `# written by bench/latency.mjs
state_dir: ${dir}/state
pidfile: ${dir}/dictdefence.pid
control: { socket: ${dir}/control.sock }
store: { type: sqlite, path: ${dir}/state/state.db }
whitelist_self: false
actions:
  stamp:
    type: command
    ban: [${bash}, -c, 'echo "$EPOCHREALTIME $1" >> "$2"', stamp, "{address}", ${stamps}]
    parallel: 1
jails:
  sshd:
    sources: [{ type: file, path: ${logFile} }]
    filter: sshd
    actions: [stamp]
`);
  const daemon = await startDaemon({ root, config });
  const total = [], inDaemon = [], action = [], floor = [];
  let cpuBefore, cpuAfter;
  // The floor explains the figures; it is not one of them: if its watcher fails, the bans are timed all the same.
  let probe, floorSkipped;
  const dropFloor = async (e) => {
    floorSkipped = e instanceof Error ? e.message : String(e);
    await probe?.stop().catch(() => undefined);
    probe = undefined;
  };
  try {
    probe = await startWakeFloor(join(dir, 'floor')).catch(async (e) => { await dropFloor(e); return undefined; });
    log(`latency: ${bans} bans, one at a time`);
    cpuBefore = cpuMsOf(daemon.pid());
    for (let b = 0; b < bans; b++) {
      const address = `10.200.${b >> 8}.${b & 255}`;
      for (let i = 0; i < 4; i++) appendFileSync(logFile, line(address, i));
      // Let the daemon read the first four before the fifth is timed: only the last line's path is measured.
      await sleep(15);
      const banned = daemon.waitFor(new RegExp(`Ban ${address.replace(/\./g, '\\.')}( |$)`));
      const t0 = nowMs();
      appendFileSync(logFile, line(address, 4));
      const decided = await banned;
      const stamped = await waitForStamp(stamps, address);
      total.push(stamped - t0);
      inDaemon.push(decided.at - t0);
      action.push(stamped - decided.at);
      if (probe !== undefined) {
        await sleep(15);
        try { floor.push(await probe.sample(b)); } catch (e) { await dropFloor(e); }
      }
    }
    cpuAfter = cpuMsOf(daemon.pid());
  } finally {
    await probe?.stop();
    await daemon.stop();
  }
  // The daemon warns at start when its commands fork it (src/core/exec.ts): no native spawner.
  const spawner = daemon.log.some((l) => /Commands start as forks of the daemon/.test(l.text)) ? 'fork' : 'native';
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? {} : { daemonCpuMsPerBan: (cpuAfter - cpuBefore) / bans };
  const stats = (xs) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), max: Math.max(...xs) });
  const floorOf = floorSkipped === undefined ? { floorMs: stats(floor) } : { floorSkipped };
  return { bans, totalMs: stats(total), daemonMs: stats(inDaemon), actionMs: stats(action), ...floorOf, spawner, ...cpu };
}

/** User + system CPU time of a live process in ms (/proc/PID/stat, clock ticks of 10 ms), or undefined. */
function cpuMsOf(pid) {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are 12 and 13.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The epoch ms the action wrote for `address`, polling the stamp file until it is there. */
async function waitForStamp(file, address, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(file)) {
      const hit = readFileSync(file, 'utf8').split('\n').find((l) => l.endsWith(` ${address}`));
      if (hit) return Number(hit.split(' ')[0]) * 1000;
    }
    if (Date.now() > until) throw new Error(`The action wrote no timestamp for ${address} within ${timeoutMs} ms`);
    await sleep(1);
  }
}
