import { appendFileSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lines, MemoryPositions, recordingLogger, run, settle, sourceDeps, tempDir, until, type RecordingLogger, type Running,
} from '../../test/sources.js';
import { createFileSource, type FileSourceOptions } from './file.js';
import { createSource } from './index.js';

let dir: string;
let remove: () => void;
let positions: MemoryPositions;
const running: Running[] = [];
beforeEach(() => {
  ({ dir, remove } = tempDir());
  positions = new MemoryPositions();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  remove();
});

const at = (name: string): string => join(dir, name);

async function follow(glob: string, opts: Partial<FileSourceOptions> = {}, log: RecordingLogger = recordingLogger()): Promise<Running> {
  const r = await run(createFileSource({ path: at(glob), pollIntervalMs: 50, ...opts }, sourceDeps(positions, log)));
  running.push(r);
  return r;
}

const bySource = (r: Running): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const batch of r.batches) for (const l of batch) (out[l.source] ??= []).push(l.text);
  return out;
};

describe('file source with a glob', () => {
  it('follows every matching file from its end, each under its own position key', async () => {
    writeFileSync(at('a-error.log'), lines('old a'));
    writeFileSync(at('b-error.log'), lines('old b'));
    writeFileSync(at('access.log'), '');
    const r = await follow('*error.log');
    appendFileSync(at('a-error.log'), lines('new a'));
    appendFileSync(at('b-error.log'), lines('new b'));
    appendFileSync(at('access.log'), lines('not followed'));
    await until(() => r.texts.length >= 2);
    await settle(100);
    expect(bySource(r)).toEqual({ [`file:${at('a-error.log')}`]: ['new a'], [`file:${at('b-error.log')}`]: ['new b'] });
    await r.stop();
    running.splice(0);
    expect([...positions.saved.keys()].sort()).toEqual([`file:${at('a-error.log')}`, `file:${at('b-error.log')}`]);
  });

  it('picks up a new matching file and reads it from its start', async () => {
    const r = await follow('*.log');
    writeFileSync(at('new.log'), lines('first', 'second'));
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['first', 'second']);
  });

  it('picks up a new matching file by polling alone, within a poll interval', async () => {
    const r = await follow('*.log', { inotify: false, pollIntervalMs: 100 });
    const written = Date.now();
    writeFileSync(at('late.log'), lines('seen by the poll'));
    await until(() => r.texts.length >= 1);
    expect(Date.now() - written).toBeLessThan(100 + 150);
  });

  it('ignores hidden and compressed files even when the glob would match them', async () => {
    const r = await follow('*log*');
    writeFileSync(at('.hidden.log'), lines('hidden'));
    writeFileSync(at('old.log.2.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x0a]));
    writeFileSync(at('live.log'), lines('live'));
    await until(() => r.texts.length >= 1);
    await settle(150);
    expect(r.texts).toEqual(['live']);
  });

  it('counts each line once when a glob also matches the rotated name', async () => {
    writeFileSync(at('app.log'), '');
    const r = await follow('app.log*', { pollIntervalMs: 100 });
    appendFileSync(at('app.log'), lines('before 1', 'before 2'));
    await until(() => r.texts.length >= 2);
    renameSync(at('app.log'), at('app.log.1'));
    appendFileSync(at('app.log.1'), lines('late write to the old file'));
    writeFileSync(at('app.log'), lines('after'));
    await until(() => r.texts.length >= 4);
    await settle(400);
    expect(r.texts).toEqual(['before 1', 'before 2', 'late write to the old file', 'after']);
  });

  it('resumes each file of a glob from its own saved position after a restart', async () => {
    writeFileSync(at('x.log'), '');
    writeFileSync(at('y.log'), '');
    const first = await follow('*.log');
    appendFileSync(at('x.log'), lines('x1'));
    appendFileSync(at('y.log'), lines('y1'));
    await until(() => first.texts.length >= 2);
    await first.stop();
    running.splice(0);
    appendFileSync(at('x.log'), lines('x2'));
    appendFileSync(at('y.log'), lines('y2'));
    const second = await follow('*.log');
    await until(() => second.texts.length >= 2);
    await settle(100);
    expect(second.texts.sort()).toEqual(['x2', 'y2']);
  });

  it('drops a deleted file once drained, and reads it from its start if it comes back', async () => {
    writeFileSync(at('gone.log'), '');
    const r = await follow('*.log', { rotateGraceMs: 100 });
    appendFileSync(at('gone.log'), lines('one'));
    await until(() => r.texts.length >= 1);
    unlinkSync(at('gone.log'));
    await settle(400);
    writeFileSync(at('gone.log'), lines('back'));
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['one', 'back']);
  });

  it('waits for a missing directory, warning once, and follows its files once it appears', async () => {
    const log = recordingLogger();
    const r = await follow('sub/*.log', {}, log);
    await until(() => r.source.counters.errors >= 3);
    expect(log.warnings).toEqual([`Directory "${at('sub')}" not found; waiting for it to appear`]);
    mkdirSync(at('sub'));
    writeFileSync(at('sub/a.log'), lines('in sub'));
    await until(() => r.texts.length >= 1);
    rmSync(at('sub/a.log'));
  });

  it('follows at most max_files files, warning once', async () => {
    for (const n of [1, 2, 3]) writeFileSync(at(`${n}.log`), '');
    const log = recordingLogger();
    const r = await follow('*.log', { maxFiles: 2 }, log);
    for (const n of [1, 2, 3]) appendFileSync(at(`${n}.log`), lines(`file ${n}`));
    await until(() => r.texts.length >= 2);
    await settle(150);
    expect(r.texts.sort()).toEqual(['file 1', 'file 2']);
    expect(log.warnings).toEqual(['Following 2 files already; "3.log" and others are left out']);
  });
});

describe('file source config', () => {
  const loc = { file: '/etc/dictdefence/dictdefence.yaml', line: 5 };
  it('accepts a glob in the file name and refuses one in a directory name', () => {
    const ok = createSource({ type: 'file', path: '/var/log/nginx/*error.log', options: {}, loc }, sourceDeps(positions));
    expect(ok.ok && ok.value.id).toBe('file:/var/log/nginx/*error.log');
    const bad = createSource({ type: 'file', path: '/var/log/*/error.log', options: {}, loc }, sourceDeps(positions));
    expect(bad.ok ? '' : bad.error).toBe('/etc/dictdefence/dictdefence.yaml:5: path: wildcards are allowed in the file name only, not in "/var/log/*"');
    const unclosed = createSource({ type: 'file', path: '/var/log/[ab.log', options: {}, loc }, sourceDeps(positions));
    expect(unclosed.ok ? '' : unclosed.error).toContain('unclosed "[" in "[ab.log"');
  });
});
