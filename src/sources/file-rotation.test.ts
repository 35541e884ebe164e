import {
  appendFileSync, closeSync, copyFileSync, ftruncateSync, openSync, renameSync, unlinkSync, writeFileSync, writeSync,
} from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fileHarness, lines, settle, until } from '../../test/sources.js';

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
});
