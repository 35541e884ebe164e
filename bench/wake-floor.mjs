// The host's own share of a line→ban latency: the two wake-ups every measured ban also pays, with no
// DictDefence code between them. A line appended to a file wakes an idle Node process watching its folder
// (inotify, as the daemon's file source), which reads it and writes a line on its standard error; that wakes the
// bench, which timed the append. On a VM each wake-up of a sleeping process can take a few hundred µs (on the
// 2-vCPU EPYC host of docs/performance.md, one line written on a pipe by an idle Node process reached another
// in 0.25 ms at the median, 0.40 ms at p90), and no change to the daemon can take that away.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nowMs } from './daemon.mjs';

// The watcher: reads what was appended since its last read, synchronously (as the daemon's file source reads
// an append), and answers each whole line at once.
const WATCHER = `
const { watch, openSync, readSync } = require('node:fs');
const [dir, name] = process.argv.slice(1);
const fd = openSync(dir + '/' + name, 'r');
const buf = Buffer.alloc(65536);
let offset = 0, rest = '';
watch(dir, (_e, f) => {
  if (f !== name) return;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, offset);
    if (n === 0) break;
    offset += n;
    const parts = (rest + buf.toString('latin1', 0, n)).split('\\n');
    rest = parts.pop();
    for (const p of parts) process.stderr.write('got ' + p + '\\n');
  }
});
// Its stdin is a pipe the bench never writes: it ends when the bench is gone, however it went (kill -9 too).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.stderr.write('ready\\n');
`;

/** Starts the watcher in `dir`; `sample(i)` resolves the ms from an append to its answer. */
export async function startWakeFloor(dir) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'probe.log');
  writeFileSync(file, '');
  const child = spawn(process.execPath, ['-e', WATCHER, dir, 'probe.log'], { stdio: ['pipe', 'ignore', 'pipe'] });
  const waiting = new Map();
  let rest = '';
  let ready;
  const isReady = new Promise((resolve) => { ready = resolve; });
  child.stderr.on('data', (b) => {
    const at = nowMs();
    const parts = (rest + b.toString('latin1')).split('\n');
    rest = parts.pop();
    for (const p of parts) {
      if (p === 'ready') ready();
      waiting.get(p)?.(at);
      waiting.delete(p);
    }
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let timer;
  const why = await Promise.race([
    isReady.then(() => undefined),
    exited.then(() => 'it exited at start'),
    new Promise((resolve) => { timer = setTimeout(() => resolve('it did not start within 5 s'), 5000); }),
  ]);
  clearTimeout(timer);
  if (why !== undefined) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`the wake-floor watcher failed: ${why}`);
  }
  return {
    async sample(i) {
      const answer = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the wake-floor watcher did not answer within 5 s')), 5000);
        waiting.set(`got probe ${i}`, (at) => { clearTimeout(timer); resolve(at); });
      });
      const t0 = nowMs();
      appendFileSync(file, `probe ${i}\n`);
      return (await answer) - t0;
    },
    async stop() {
      // SIGKILL: a watcher that stopped answering may not heed a SIGTERM, and the bench must go on.
      child.kill('SIGKILL');
      await exited;
    },
  };
}
