import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { BIN, requireBuild, type TempDir } from './daemon.js';

export interface CliResult { readonly code: number; readonly stdout: string; readonly stderr: string }

/** Runs the built CLI as a user would (a separate process, argv only) and collects its output. */
export function cli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  requireBuild();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A config for a whole daemon in a temp folder: pidfile, control socket, store and log beside it, one sshd
 * jail on `auth.log` whose ban and unban go to the recorder script. `extra` is appended verbatim.
 */
export function writeConfig(dir: TempDir, recorderScript: string, extra = '', name = 'dd.yaml'): string {
  const file = dir.file(name);
  writeFileSync(dir.file('auth.log'), '', { flag: 'a' });
  writeFileSync(file, [
    `state_dir: ${dir.file('state')}`,
    `pidfile: ${dir.file('dd.pid')}`,
    `control: { socket: ${dir.file('run/control.sock')} }`,
    `store: { type: sqlite, path: ${dir.file('state.db')} }`,
    `log: { file: ${dir.file('dd.log')}, syslog: false }`,
    'defaults:',
    '  tracker: { type: window, max_failures: 3, period: 10m }',
    '  ban: { time: 1h }',
    'actions:',
    `  record: { type: command, ban: [${recorderScript}, ban, "{address}"], unban: [${recorderScript}, unban, "{address}"] }`,
    'jails:',
    '  sshd:',
    `    sources: [{ type: file, path: ${dir.file('auth.log')} }]`,
    '    filter: sshd',
    '    actions: [record]',
    extra,
  ].join('\n'));
  return file;
}
