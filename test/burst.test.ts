/**
 * Back-pressure: a real daemon (`node bin/dictdefence.js run`, after `npm run build`) follows a file to
 * which 1,000,000 sshd lines (~100 MB) are appended at once. Its peak resident memory (VmHWM) must stay
 * bounded, and while it works through the burst its control socket keeps answering and its unban timer keeps
 * lifting bans. The measured numbers are printed. Slow by design (about 10 s).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, tempDir, type Daemon, type TempDir } from './daemon.js';
import { until } from './sources.js';

const LINES = 1_000_000;
const PEAK_LIMIT_MB = 300;

let dir: TempDir;
let daemon: Daemon;
const config = (): string => `state_dir: ${dir.file('state')}
pidfile: ${dir.file('dd.pid')}
control: { socket: ${dir.file('control.sock')} }
store: { type: sqlite, path: ${dir.file('state.db')} }
whitelist_self: false
defaults:
  tracker: { type: window, max_failures: 5, period: 10m }
  ban: { time: 1s }
actions:
  none: { type: noban }
jails:
  sshd:
    sources: [{ type: file, path: ${dir.file('auth.log')} }]
    filter: sshd
    actions: [none]
`;

interface Status { counters: Record<string, number>; jails: { sources: { counters: Record<string, number> }[] }[] }

/** One control request, answered or not within `timeoutMs`. */
function status(timeoutMs = 10_000): Promise<Status> {
  return new Promise((resolve, reject) => {
    const socket = connect(dir.file('control.sock'));
    let text = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('status timed out')); }, timeoutMs);
    socket.on('connect', () => socket.write('{"command":"status"}\n'));
    socket.on('data', (b: Buffer) => { text += b.toString(); });
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        const reply = JSON.parse(text.split('\n')[0] ?? '') as { ok: boolean; result: Status };
        if (reply.ok) resolve(reply.result); else reject(new Error(text));
      } catch (e) { reject(e instanceof Error ? e : new Error(String(e))); }
    });
  });
}

const memory = (pid: number, field: 'VmHWM' | 'VmRSS'): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
};

/** 1M lines: mostly sshd noise that no rule matches, 10% failures from 2,000 addresses (2,000 bans). */
function appendBurst(file: string): void {
  const stamp = new Date().toString().slice(4, 10).replace(/ 0(\d)/, '  $1');
  const time = new Date().toTimeString().slice(0, 8);
  const chunk: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const head = `${stamp} ${time} web1 sshd[${1000 + (i % 30_000)}]: `;
    chunk.push(i % 10 === 0
      ? `${head}Failed password for invalid user u${i % 97} from 100.64.${(i / 10) % 2000 >> 8}.${((i / 10) % 2000) & 255} port ${1024 + (i % 60_000)} ssh2\n`
      : `${head}Connection closed by 198.51.100.${i % 250} port ${1024 + (i % 60_000)} [preauth]\n`);
    if (chunk.length === 50_000) { appendFileSync(file, chunk.join('')); chunk.length = 0; }
  }
  if (chunk.length > 0) appendFileSync(file, chunk.join(''));
}

beforeAll(async () => {
  dir = tempDir('dd-burst-');
  writeFileSync(dir.file('dd.yaml'), config());
  writeFileSync(dir.file('auth.log'), '');
  daemon = startDaemon(['run', '-c', dir.file('dd.yaml')]);
  await until(() => daemon.output().includes('Started with 1 jail'), 20_000, 'the daemon to start');
});

afterAll(async () => {
  await daemon?.stop();
  dir?.cleanup();
});

describe('a burst of a million lines', () => {
  it('is processed with bounded memory while the control socket and the unban timer keep working', async () => {
    const pid = daemon.child.pid ?? 0;
    const baseline = memory(pid, 'VmRSS');
    const started = performance.now();
    appendBurst(dir.file('auth.log'));
    const appended = performance.now();

    let slowest = 0, polls = 0, lines = 0, unbansDuring = 0;
    while (lines < LINES) {
      const asked = performance.now();
      const s = await status();
      slowest = Math.max(slowest, performance.now() - asked);
      polls++;
      lines = s.jails[0]?.sources[0]?.counters.lines ?? 0;
      unbansDuring = s.counters.unbans ?? 0;
      if (performance.now() - started > 120_000) throw new Error(`Only ${lines} lines processed after 120 s`);
      if (lines < LINES) await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const peak = memory(pid, 'VmHWM');
    process.stdout.write(`Burst of ${LINES} lines: appended in ${((appended - started) / 1000).toFixed(1)} s, processed in ${seconds.toFixed(1)} s ` +
      `(${Math.round(LINES / seconds).toLocaleString('en')} lines/s); RSS before ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB; ` +
      `${polls} status requests, slowest answer ${slowest.toFixed(0)} ms; ${unbansDuring} unbans during the burst\n`);
    expect(peak).toBeLessThan(PEAK_LIMIT_MB);
    expect(slowest).toBeLessThan(2000);
    // Bans last 1 s: a timer that ran during the burst has lifted some of them by the end.
    if (seconds > 3) expect(unbansDuring).toBeGreaterThan(0);
  });
});
