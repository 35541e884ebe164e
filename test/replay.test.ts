/**
 * Replay through the daemon: `dictdefence run` with a `stdin` source and `use_line_time: true`, fed
 * yesterday's log on standard input, bans the address whose failures came in a burst and not the one whose
 * failures were spread over more than the window. Runs the built daemon (`npm run build` first).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, recorder, requireBuild, tempDir, type TempDir } from './daemon.js';
import { settle, until } from './sources.js';

let dir: TempDir;
beforeEach(() => { dir = tempDir('dd-replay-'); });
afterEach(() => dir.cleanup());

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');
function failure(minutes: number, address: string): string {
  const d = new Date();
  d.setDate(d.getDate() - 1);
  d.setHours(10, minutes, 0, 0);
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:00 web1 sshd[7]: ` +
    `Failed password for root from ${address} port 50022 ssh2\n`;
}

describe('dictdefence run replaying a log from standard input', () => {
  it('bans by the times inside the lines, not by when they were read', async () => {
    requireBuild();
    const rec = recorder(dir);
    writeFileSync(dir.file('dd.yaml'), `state_dir: ${dir.file('state')}
pidfile: ${dir.file('dd.pid')}
control: { socket: ${dir.file('control.sock')} }
store: { type: sqlite, path: ${dir.file('state.db')} }
whitelist_self: false
defaults:
  tracker: { type: window, max_failures: 5, period: 10m }
actions:
  record: { type: command, ban: [${rec.script}, ban, "{address}"], unban: [${rec.script}, unban, "{address}"] }
jails:
  sshd:
    sources: [{ type: stdin }]
    filter: sshd
    actions: [record]
    use_line_time: true
`);
    const child = spawn(process.execPath, [BIN, 'run', '-c', dir.file('dd.yaml')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stderr.on('data', (b: Buffer) => { output += b.toString(); });
    child.stdout.on('data', (b: Buffer) => { output += b.toString(); });
    try {
      let log = '';
      // Interleaved: five failures in 8 minutes from one address, five over 12 minutes from the other.
      for (let i = 0; i < 5; i++) log += failure(i * 2, '203.0.113.1') + failure(i * 3, '203.0.113.2');
      child.stdin.end(log);
      await until(() => output.includes('Standard input ended after 10 lines'), 20_000, 'the daemon to read its input');
      await until(() => rec.lines().includes('ban 203.0.113.1'), 10_000, 'the ban');
      await settle(300);
      expect(rec.lines()).toEqual(['ban 203.0.113.1']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // Still running after the input ended, until told to stop.
    expect(output).toContain('Stopping on SIGTERM');
  });
});
