// How the bench times a process and summarises repeated runs.
//
// Wall time is taken here (hrtime around spawn to exit). CPU time (user + system) and peak RSS come from GNU
// time (`/usr/bin/time`, Debian package "time") when it is installed: on a shared, busy machine CPU time moves
// far less than wall time, so both are reported. Without it, peak RSS is sampled from /proc/PID/status
// (VmHWM, the kernel's own high-water mark) every few milliseconds and CPU time is not reported.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';
export const hasGnuTime = existsSync(GNU_TIME);
const scratch = mkdtempSync(join(tmpdir(), 'dd-bench-time-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

/** The kernel's peak RSS of a live process in bytes, or undefined once it is gone. */
function vmHwm(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `argv` once, stdin from the file `stdin` if given. stdout is discarded (`stdout: 'null'`), counted in newlines (`'count'`) or kept
 * (`'keep'`, the default). Resolves { wallS, cpuS, rssBytes, code, stdout, newlines, stderr }.
 */
export function run(argv, { stdout = 'keep', stdin, cwd, env } = {}) {
  const timeFile = join(scratch, `t${process.hrtime.bigint()}`);
  const full = hasGnuTime ? [GNU_TIME, '-f', '%U %S %M', '-o', timeFile, ...argv] : argv;
  const devnull = stdout === 'null' ? openSync('/dev/null', 'w') : undefined;
  const input = stdin === undefined ? 'ignore' : openSync(stdin, 'r');
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(full[0], full.slice(1), { cwd, env, stdio: [input, devnull ?? 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let newlines = 0;
    child.stdout?.on('data', (b) => {
      if (stdout === 'count') { for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) newlines++; } else out.push(b);
    });
    child.stderr.on('data', (b) => err.push(b));
    let peak = 0;
    const poll = hasGnuTime ? undefined : setInterval(() => { peak = Math.max(peak, vmHwm(child.pid) ?? 0); }, 5);
    child.on('error', reject);
    child.on('close', (code) => {
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      if (poll) clearInterval(poll);
      if (devnull !== undefined) closeSync(devnull);
      if (typeof input === 'number') closeSync(input);
      let cpuS = null, rssBytes = peak || null;
      if (hasGnuTime) {
        const fields = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
        rmSync(timeFile, { force: true });
        cpuS = fields[0] + fields[1];
        rssBytes = fields[2] * 1024;
      }
      resolve({ wallS, cpuS, rssBytes, code, stdout: Buffer.concat(out).toString('utf8'), newlines, stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export const median = (xs) => {
  const s = xs.filter((x) => x !== null && x !== undefined && !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The p-th percentile (0..100) by nearest rank. */
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/**
 * Runs every task `runs` times, interleaved (round r runs each task once, starting one further along each
 * round), so that a burst of load from someone else on the machine hits all of them alike. A task is
 * { name, argv, stdout, check(result) → extra fields or throws }. Resolves a map name → list of results.
 */
export async function interleave(tasks, runs, log = () => {}) {
  const results = new Map(tasks.map((t) => [t.name, []]));
  for (let r = 0; r < runs; r++) {
    for (let k = 0; k < tasks.length; k++) {
      const t = tasks[(k + r) % tasks.length];
      const res = await run(t.argv, { stdout: t.stdout, stdin: t.stdin, cwd: t.cwd });
      if (res.code !== 0) throw new Error(`${t.name} failed (exit ${res.code}): ${res.stderr.slice(0, 500)}`);
      Object.assign(res, t.check ? t.check(res) : {});
      delete res.stdout;
      results.get(t.name).push(res);
      log(`  ${t.name} run ${r + 1}/${runs}: ${res.wallS.toFixed(2)} s`);
    }
  }
  return results;
}

/** Median wall, CPU and peak RSS of a task's runs, and its extra fields from the first run. */
export function summarise(list, lines) {
  const wallS = median(list.map((x) => x.wallS));
  const cpuS = median(list.map((x) => x.cpuS));
  return {
    runs: list.length, wallS, cpuS, rssBytes: median(list.map((x) => x.rssBytes)),
    linesPerS: lines && wallS ? lines / wallS : null,
    linesPerCpuS: lines && cpuS ? lines / cpuS : null,
    matches: list[0]?.matches ?? null,
  };
}
