import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Helpers for tests that run the real daemon as a separate process (`npm test` builds dist/ first). */
export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin/dictdefence.js');

export function requireBuild(): void {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run "npm run build" (npm test does it first)');
}

export interface TempDir { readonly path: string; file(name: string): string; cleanup(): void }

export function tempDir(prefix = 'dd-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, file: (n) => join(path, n), cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A command action target that appends "VERB ADDRESS" to a log, like an administrator's own script. */
export function recorder(dir: TempDir): { script: string; log: string; lines(): string[] } {
  const script = dir.file('rec');
  const log = dir.file('actions.log');
  writeFileSync(script, `#!/bin/sh\necho "$1 $2" >> '${log}'\n`);
  chmodSync(script, 0o755);
  writeFileSync(log, '');
  return { script, log, lines: () => readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

export interface Daemon { readonly child: ChildProcess; output(): string; stop(signal?: NodeJS.Signals): Promise<number | null> }

export function startDaemon(args: readonly string[]): Daemon {
  requireBuild();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `cond` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(cond: () => boolean, timeoutMs = 10_000, everyMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return cond();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** An OpenSSH failure line with a current BSD syslog head. */
export function sshdFailure(address: string, when = new Date()): string {
  const mon = when.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const day = String(when.getUTCDate()).padStart(2, ' ');
  const time = when.toISOString().slice(11, 19);
  return `${mon} ${day} ${time} web1 sshd[${1000 + Math.floor(Math.random() * 9000)}]: Failed password for root from ${address} port ${1024 + Math.floor(Math.random() * 60000)} ssh2\n`;
}
