import {
  appendFileSync, closeSync, copyFileSync, ftruncateSync, openSync, renameSync, symlinkSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fileHarness, lines, recordingLogger, settle, sourceDeps, until, type MemoryPositions } from '../../test/sources.js';

const h = fileHarness();
const { follow, stop } = h;

describe('file source across rotation', () => {
  it('delivers every line once when the file is renamed and recreated while the writer still writes to the old one', async () => {
    writeFileSync(h.file, '');
    // A slower poll widens the window in which the old file counts as still growing, so the test is not racy.
    const r = await follow({ pollIntervalMs: 200 });
    const writer = openSync(h.file, 'a');
    writeSync(writer, lines('old 1', 'old 2'));
    await until(() => r.texts.length >= 2);

    renameSync(h.file, `${h.file}.1`);
    writeSync(writer, lines('old 3'));
    writeFileSync(h.file, lines('new 1'));
    await settle(10);
    writeSync(writer, lines('old 4'));
    closeSync(writer);
    appendFileSync(h.file, lines('new 2'));

    await until(() => r.texts.length >= 6);
    await settle();
    expect(r.texts).toEqual(['old 1', 'old 2', 'old 3', 'old 4', 'new 1', 'new 2']);
  });

  it('hands on the unterminated last line of a rotated file once the writer has moved on', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    appendFileSync(h.file, lines('whole') + 'cut short');
    await until(() => r.texts.length >= 1);
    renameSync(h.file, `${h.file}.1`);
    writeFileSync(h.file, lines('next'));
    await until(() => r.texts.length >= 3);
    expect(r.texts).toEqual(['whole', 'cut short', 'next']);
  });

  it('does not reread old lines after copytruncate and delivers what the writer appends next', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    // Loggers open with O_APPEND, so after the truncation their next write lands at offset 0.
    const writer = openSync(h.file, 'a');
    writeSync(writer, lines('old line 1', 'old line 2', 'old line 3'));
    await until(() => r.texts.length >= 3);

    copyFileSync(h.file, `${h.file}.1`);
    ftruncateSync(writer, 0);
    writeSync(writer, lines('new 1'));
    await until(() => r.texts.length >= 4);
    writeSync(writer, lines('new 2'));
    closeSync(writer);
    await until(() => r.texts.length >= 5);
    await settle();
    expect(r.texts).toEqual(['old line 1', 'old line 2', 'old line 3', 'new 1', 'new 2']);
  });

  it('reads a file again from its start when it is rewritten shorter in place', async () => {
    writeFileSync(h.file, lines('a long first line', 'and a second one'));
    const r = await follow({ readFromStart: true });
    await until(() => r.texts.length >= 2);
    writeFileSync(h.file, lines('short'));
    await until(() => r.texts.length >= 3);
    await settle();
    expect(r.texts).toEqual(['a long first line', 'and a second one', 'short']);
  });

  it('treats delete and recreate like a rotation', async () => {
    writeFileSync(h.file, lines('old'));
    const r = await follow({ readFromStart: true });
    await until(() => r.texts.length >= 1);
    unlinkSync(h.file);
    await settle(100);
    writeFileSync(h.file, lines('recreated 1', 'recreated 2'));
    await until(() => r.texts.length >= 3);
    await settle();
    expect(r.texts).toEqual(['old', 'recreated 1', 'recreated 2']);
  });

  it('finishes the old file from the saved offset, then reads the new one, when rotated while stopped', async () => {
    writeFileSync(h.file, lines('seen before'));
    const first = await follow();
    appendFileSync(h.file, lines('a'));
    await until(() => first.texts.length >= 1);
    await stop(first);

    appendFileSync(h.file, lines('b', 'c'));
    renameSync(h.file, `${h.file}.1`);
    writeFileSync(h.file, lines('d', 'e'));

    const second = await follow();
    await until(() => second.texts.length >= 4);
    await settle();
    expect([...first.texts, ...second.texts]).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('reads the new file from its start when the saved file is found neither at the path nor at path.1', async () => {
    writeFileSync(h.file, lines('x'));
    const first = await follow();
    appendFileSync(h.file, lines('y'));
    await until(() => first.texts.length >= 1);
    await stop(first);

    // Created before the old one goes, so the new file cannot reuse the old inode number.
    writeFileSync(`${h.file}.new`, lines('fresh 1', 'fresh 2'));
    renameSync(`${h.file}.new`, h.file);

    const second = await follow();
    await until(() => second.texts.length >= 2);
    await settle();
    expect(second.texts).toEqual(['fresh 1', 'fresh 2']);
  });

  it('resumes a rotation it was stopped in the middle of without rereading or skipping a line', async () => {
    writeFileSync(h.file, '');
    // A long poll keeps the source inside the rotation grace period when it is stopped.
    const first = await follow({ pollIntervalMs: 10_000, rotateGraceMs: 10_000 });
    appendFileSync(h.file, lines('1'));
    await until(() => first.texts.length >= 1);
    const writer = openSync(h.file, 'a');
    renameSync(h.file, `${h.file}.1`);
    writeFileSync(h.file, lines('3'));
    writeSync(writer, lines('2'));
    closeSync(writer);
    await until(() => first.texts.length >= 2);
    await stop(first);

    const second = await follow();
    await until(() => second.texts.length >= 1);
    await settle();
    expect([...first.texts, ...second.texts]).toEqual(['1', '2', '3']);
  });

  it('does not reread a file that is renamed away and back while it is being drained', async () => {
    writeFileSync(h.file, '');
    const r = await follow({ pollIntervalMs: 200 });
    appendFileSync(h.file, lines('one'));
    await until(() => r.texts.length >= 1);
    renameSync(h.file, `${h.file}.tmp`);
    await settle(20);
    renameSync(`${h.file}.tmp`, h.file);
    appendFileSync(h.file, lines('two'));
    await until(() => r.texts.length >= 2);
    await settle(300);
    expect(r.texts).toEqual(['one', 'two']);
  });

  it('treats a file replaced by a symlink like a rotation, and follows the file the link points to', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    appendFileSync(h.file, lines('in the file'));
    await until(() => r.texts.length >= 1);
    writeFileSync(`${h.file}.real`, lines('in the target'));
    symlinkSync(`${h.file}.real`, `${h.file}.link`);
    renameSync(`${h.file}.link`, h.file);
    await until(() => r.texts.length >= 2);
    appendFileSync(`${h.file}.real`, lines('appended to the target'));
    await until(() => r.texts.length >= 3);
    await settle();
    expect(r.texts).toEqual(['in the file', 'in the target', 'appended to the target']);
  });

  it('opens a 2 GB file at its end quickly, without reading it', async () => {
    // Sparse: 2 GB of size, no blocks on disk, no time spent writing it.
    const fd = openSync(h.file, 'w');
    ftruncateSync(fd, 2 * 1024 ** 3);
    closeSync(fd);
    appendFileSync(h.file, lines('last line before start'));
    const started = Date.now();
    const r = await follow();
    expect(Date.now() - started).toBeLessThan(1000);
    appendFileSync(h.file, lines('after start'));
    await until(() => r.texts.length >= 1);
    await settle();
    expect(r.texts).toEqual(['after start']);
    // Only the probe for the last line's start (at most 64 KiB) and the new line were read.
    expect(r.source.counters.bytes).toBeLessThan(65 * 1024);
  });

  it('survives its file being deleted for good while open, warning once, and reads a new one', async () => {
    const log = recordingLogger();
    writeFileSync(h.file, '');
    const r = await follow({ rotateGraceMs: 100 }, sourceDeps(h.positions, log));
    appendFileSync(h.file, lines('last words'));
    await until(() => r.texts.length >= 1);
    unlinkSync(h.file);
    await settle(400);
    expect(log.warnings).toEqual([`File "${h.file}" not found; waiting for it to appear`]);
    writeFileSync(h.file, lines('reborn'));
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['last words', 'reborn']);
  });

  it('keeps delivering when the store cannot save positions (a full disk), warning once', async () => {
    const log = recordingLogger();
    const full: MemoryPositions = Object.assign(Object.create(h.positions) as MemoryPositions, {
      setPosition: async () => { throw new Error('SQLITE_FULL: database or disk is full'); },
    });
    writeFileSync(h.file, '');
    const r = await follow({}, sourceDeps(full, log));
    for (let i = 0; i < 5; i++) {
      appendFileSync(h.file, lines(`line ${i}`));
      await settle(60);
    }
    await until(() => r.texts.length >= 5);
    expect(log.warnings).toEqual([`Cannot save position of "${h.file}": SQLITE_FULL: database or disk is full`]);
  });

  it('skips the hole a copytruncate leaves before a writer without O_APPEND, keeping the lines after it', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    const writer = openSync(h.file, 'r+');
    let at = 0;
    const write = (text: string): void => { at += writeSync(writer, text, at); };
    write(lines('one', 'two'));
    await until(() => r.texts.length >= 2);
    const rotator = openSync(h.file, 'r+');
    ftruncateSync(rotator, 0);
    closeSync(rotator);
    await settle(100);
    write(lines('three'));
    closeSync(writer);
    await until(() => r.texts.length >= 3);
    expect(r.texts).toEqual(['one', 'two', 'three']);
    expect(r.source.counters.binary).toBe(1);
  });

  it('reads a file deleted and recreated while stopped from its start, even when it reuses the inode number', async () => {
    writeFileSync(h.file, '');
    const first = await follow();
    appendFileSync(h.file, lines('old one'));
    await until(() => first.texts.length >= 1);
    await stop(first);
    unlinkSync(h.file);
    // ext4 and tmpfs hand the freed inode number to the next file at once; the birth time tells them apart.
    writeFileSync(h.file, lines('fresh 1', 'fresh 2'));
    const second = await follow();
    await until(() => second.texts.length >= 2);
    await settle();
    expect(second.texts).toEqual(['fresh 1', 'fresh 2']);
  });
});
