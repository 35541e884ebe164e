// Starts a real `dictdefence run` in the foreground for the daemon benches, and watches its log: every log
// line is stamped with the moment it reached the bench (epoch ms, microsecond resolution), so the bench can
// tell when the daemon decided a ban or finished a restore.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

/** Wall-clock time in epoch ms with sub-millisecond resolution (Date.now() has whole ms only). */
export const nowMs = () => performance.timeOrigin + performance.now();

/** RSS of a live process in bytes, from /proc/PID/status. */
export function rssOf(pid, field = 'VmRSS') {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : null;
}

/** One request on the control socket; resolves the reply's `result`. */
export function control(socketPath, request) {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let text = '';
    s.on('connect', () => s.write(`${JSON.stringify(request)}\n`));
    s.on('data', (b) => { text += b.toString('utf8'); });
    s.on('error', reject);
    s.on('close', () => {
      try {
        const reply = JSON.parse(text.split('\n')[0]);
        if (reply.ok) resolve(reply.result); else reject(new Error(reply.error));
      } catch (e) { reject(e); }
    });
  });
}

/**
 * Runs `dictdefence run -c CONFIG` (behind `wrapper`, e.g. `ip netns exec NS`) and resolves once its log says
 * it started. `log` lines are { at, text }; `waitFor(re)` resolves the first line (seen or to come) matching.
 */
export async function startDaemon({ root, config, wrapper = [], startTimeoutMs = 60_000 }) {
  // BENCH_NODE_ARGS passes flags to the daemon's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const argv = [...wrapper, process.execPath, ...nodeArgs, join(root, 'bin/dictdefence.js'), 'run', '-c', config];
  const spawnedAt = nowMs();
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const waiters = [];
  let rest = '';
  const onData = (b) => {
    const at = nowMs();
    const parts = (rest + b.toString('utf8')).split('\n');
    rest = parts.pop();
    for (const text of parts) {
      const line = { at, text };
      log.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].re.test(text)) { waiters[i].resolve(line); waiters.splice(i, 1); }
      }
    }
  };
  child.stderr.on('data', onData);
  child.stdout.on('data', onData);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = (re, timeoutMs = 30_000) => {
    const seen = log.find((l) => re.test(l.text));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { re, resolve: (l) => { clearTimeout(timer); resolve(l); } };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`The daemon did not log ${re} within ${timeoutMs} ms; its log:\n${log.slice(-15).map((l) => l.text).join('\n')}`));
      }, timeoutMs);
      waiters.push(w);
      void exited.then(({ code }) => { if (waiters.includes(w)) w.resolve({ at: nowMs(), text: `exited ${code}` }); });
    });
  };
  const started = await waitFor(/Started with \d+ jail/, startTimeoutMs);
  if (started.text.startsWith('exited')) throw new Error(`The daemon exited at start:\n${log.map((l) => l.text).join('\n')}`);
  return {
    child, spawnedAt, startedAt: started.at, log, waitFor,
    /** The daemon's own pid (the wrapper, if any, execs it or is its parent). */
    pid: () => child.pid,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
