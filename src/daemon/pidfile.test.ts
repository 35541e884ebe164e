import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimPidfile, releasePidfile } from './pidfile.js';

/** A pid that surely names no process: one that just exited. */
const deadPid = (): Promise<number> => new Promise((resolve) => {
  const c = spawn(process.execPath, ['-e', '0']);
  c.on('exit', () => resolve(c.pid ?? 999_999));
});

describe('the pidfile', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is claimed, replaced when stale, and released only by its owner', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-pid-'));
    const file = join(dir, 'sub/dd.pid');
    expect(claimPidfile(file)).toEqual({ ok: true });
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid}\n`);
    expect(existsSync(`${file}.lock`)).toBe(false);
    writeFileSync(file, `${await deadPid()}\n`);
    expect(claimPidfile(file)).toEqual({ ok: true });
    writeFileSync(file, '1\n');
    releasePidfile(file);
    expect(existsSync(file)).toBe(true);
    writeFileSync(file, `${process.pid}\n`);
    releasePidfile(file);
    expect(existsSync(file)).toBe(false);
  });

  it('removes a lock left by a process that died while claiming, or one too old to be live', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-pid-'));
    const file = join(dir, 'dd.pid');
    writeFileSync(`${file}.lock`, `${await deadPid()}\n`);
    expect(claimPidfile(file)).toEqual({ ok: true });
    writeFileSync(`${file}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    expect(claimPidfile(file)).toEqual({ ok: true });
  });

  it('waits for a lock held by a live process and then gives up with its pid', () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-pid-'));
    const file = join(dir, 'dd.pid');
    writeFileSync(`${file}.lock`, `${process.ppid}\n`);
    const t = Date.now();
    expect(claimPidfile(file)).toEqual({ ok: false, error: `Cannot lock pidfile "${file}": "${file}.lock" is held by pid ${process.ppid}` });
    expect(Date.now() - t).toBeGreaterThanOrEqual(2900);
  });
});
