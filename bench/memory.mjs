// Memory of a running daemon: idle (one sshd jail on a file, SQLite store, started and settled), then with
// `addresses` distinct addresses tracked, each with five failures (the window tracker set to six failures,
// so that none is banned and all stay tracked). The lines go through a FIFO source, so no 350 MB file is
// written: five rounds over all addresses, in the canonical auth.log shape.
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { distinctAddress } from './corpus.mjs';
import { control, rssOf, startDaemon } from './daemon.mjs';
import { median } from './measure.mjs';

const FAILURES = 5;

function configText(dir, source, extra = '') {
  return `# written by bench/memory.mjs
state_dir: ${dir}/state
pidfile: ${dir}/dictdefence.pid
control: { socket: ${dir}/control.sock }
store: { type: sqlite, path: ${dir}/state/state.db }
whitelist_self: false
defaults:
  tracker: { type: window, max_failures: ${FAILURES + 1}, period: 1h, max_entries: 2000000 }
actions:
  none: { type: noban }
jails:
  sshd:
    sources: [${source}]
    filter: sshd
    actions: [none]
${extra}`;
}

async function settledRss(pid) {
  // Two seconds for the start-up garbage to be collected and the heap to stop moving.
  await sleep(2000);
  return rssOf(pid);
}

export async function memory({ root, work, addresses, runs, log }) {
  const dir = join(work, 'memory');
  mkdirSync(join(dir, 'state'), { recursive: true });

  // Idle: the plainest useful daemon, following an empty auth.log.
  writeFileSync(join(dir, 'auth.log'), '');
  const idleConfig = join(dir, 'idle.yaml');
  writeFileSync(idleConfig, configText(dir, `{ type: file, path: ${dir}/auth.log }`));
  // The median of `runs` starts: one start's RSS moves by a MiB or two with what the kernel and V8 do meanwhile.
  const idleRuns = [];
  for (let i = 0; i < Math.max(1, runs ?? 1); i++) {
    const idle = await startDaemon({ root, config: idleConfig });
    try { idleRuns.push(await settledRss(idle.pid())); } finally { await idle.stop(); }
  }
  const idleBytes = median(idleRuns);
  log(`memory: idle daemon ${idleRuns.map((b) => (b / 2 ** 20).toFixed(1)).join(', ')} MiB`);

  const fifo = join(dir, 'auth.fifo');
  const config = join(dir, 'flood.yaml');
  writeFileSync(config, configText(`${dir}/flood`, `{ type: fifo, path: ${fifo} }`));
  mkdirSync(join(dir, 'flood', 'state'), { recursive: true });
  const daemon = await startDaemon({ root, config });
  try {
    while (!existsSync(fifo)) await sleep(10);
    log(`memory: ${addresses.toLocaleString('en')} addresses × ${FAILURES} failures through a FIFO`);
    const started = Date.now();
    const out = createWriteStream(fifo);
    for (let round = 0; round < FAILURES; round++) {
      let batch = '';
      for (let i = 0; i < addresses; i++) {
        batch += `Mar  1 00:00:${String(round).padStart(2, '0')} web1 sshd[${1000 + round}]: Invalid user u${round} from ${distinctAddress(i)} port 22\n`;
        if (batch.length > 1 << 16) {
          if (!out.write(batch)) await once(out, 'drain');
          batch = '';
        }
      }
      if (batch && !out.write(batch)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const socket = join(dir, 'flood', 'control.sock');
    let tracked = 0, lines = 0;
    for (;;) {
      const status = await control(socket, { command: 'status' });
      tracked = status.jails[0].tracked;
      lines = status.jails[0].counters.lines;
      if (lines >= addresses * FAILURES) break;
      await sleep(200);
    }
    const seconds = (Date.now() - started) / 1000;
    const rssBytes = await settledRss(daemon.pid());
    const peakBytes = rssOf(daemon.pid(), 'VmHWM');
    return { idleBytes, idleRuns, addresses, failures: FAILURES, tracked, lines, seconds, rssBytes, peakBytes };
  } finally {
    await daemon.stop();
  }
}
