import { spawn } from 'node:child_process';
import { chmodSync, closeSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exec } from '../core/exec.js';
import { MemoryPositions, recordingLogger, run, settle, sourceDeps, tempDir, until, type RecordingLogger, type Running } from '../../test/sources.js';
import { createSource } from './index.js';
import { createFifoSource } from './fifo.js';

let dir: { dir: string; remove: () => void };
let pipe: string;
const running: Running[] = [];
beforeEach(() => {
  dir = tempDir();
  pipe = join(dir.dir, 'pipe');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  dir.remove();
});

async function follow(log: RecordingLogger = recordingLogger()): Promise<Running> {
  const r = await run(createFifoSource({ path: pipe, retryMs: 50 }, sourceDeps(new MemoryPositions(), log)));
  running.push(r);
  return r;
}

/** A writer that opens the FIFO, writes, and closes it, as a syslog daemon does across a restart. */
function writeOnce(text: string): void {
  const fd = openSync(pipe, 'w');
  writeSync(fd, text);
  closeSync(fd);
}

describe('FIFO source', () => {
  it('creates a missing FIFO with mode 0600 and starts without waiting for a writer', async () => {
    const started = Date.now();
    await follow();
    expect(Date.now() - started).toBeLessThan(2000);
    const st = statSync(pipe);
    expect(st.isFIFO()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('keeps reading as writers come and go, delivering whole lines only', async () => {
    const r = await follow();
    writeOnce('first writer 1\nfirst writer 2\n');
    await until(() => r.texts.length >= 2);
    writeOnce('second writer, a line in ');
    writeOnce('two writes\n');
    writeOnce('third writer\n');
    await until(() => r.texts.length >= 4);
    expect(r.texts).toEqual(['first writer 1', 'first writer 2', 'second writer, a line in two writes', 'third writer']);
  });

  it('does not spin while no writer is connected', async () => {
    const r = await follow();
    writeOnce('one\n');
    await until(() => r.texts.length >= 1);
    const cpu = process.cpuUsage();
    await settle(500);
    const used = process.cpuUsage(cpu);
    // A reader that saw end-of-file over and over would burn most of the half second.
    expect((used.user + used.system) / 1000).toBeLessThan(100);
  });

  it('reads from writers in other processes, the way the shell and syslog daemons write', async () => {
    const r = await follow();
    for (const n of [1, 2]) {
      const child = spawn('sh', ['-c', `printf 'from process ${n}\\n' > "$0"`, pipe], { stdio: 'ignore' });
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['from process 1', 'from process 2']);
  });

  it('uses an existing FIFO, warning when others may write to it', async () => {
    const made = await exec(['mkfifo', '-m', '0622', pipe]);
    expect(made.ok && made.value.code).toBe(0);
    chmodSync(pipe, 0o622);
    const log = recordingLogger();
    const r = await follow(log);
    expect(log.warnings).toEqual([`FIFO "${pipe}" is writable by group or others: whoever can write to it can forge log lines`]);
    writeOnce('ok\n');
    await until(() => r.texts.length >= 1);
  });

  it('opens the FIFO again when it is deleted and recreated while open', async () => {
    const r = await follow();
    writeOnce('before\n');
    await until(() => r.texts.length >= 1);
    rmSync(pipe);
    // The source recreates it on its next check; a writer then finds a reader on the new FIFO.
    await until(() => { try { return statSync(pipe).isFIFO(); } catch { return false; } });
    await settle(100);
    writeOnce('after\n');
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['before', 'after']);
  });

  it('warns and retries while the path is not a FIFO, then reads it once it is', async () => {
    writeFileSync(pipe, 'a regular file\n');
    const log = recordingLogger();
    const r = await follow(log);
    await until(() => r.source.counters.errors >= 2);
    expect(log.warnings).toEqual([`Cannot open FIFO "${pipe}": not a FIFO (named pipe); remove it or choose another path`]);
    rmSync(pipe);
    await until(() => { try { return statSync(pipe).isFIFO(); } catch { return false; } });
    await settle(100);
    writeOnce('now a FIFO\n');
    await until(() => r.texts.length >= 1);
  });

  it('drops and counts binary lines', async () => {
    const r = await follow();
    writeOnce('bin\u0000ary\ntext\n');
    await until(() => r.texts.length >= 1);
    expect(r.texts).toEqual(['text']);
    expect(r.source.counters.binary).toBe(1);
  });

  it('is built from a config entry, its path resolved beside the config file', () => {
    const loc = { file: '/etc/dictdefence/dictdefence.yaml', line: 4 };
    const s = createSource({ type: 'fifo', path: 'run/pipe', options: {}, loc }, sourceDeps(new MemoryPositions()));
    expect(s.ok && s.value.id).toBe('fifo:/etc/dictdefence/run/pipe');
  });
});
