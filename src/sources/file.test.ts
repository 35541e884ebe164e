import { appendFileSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fileHarness, lines, recordingLogger, settle, sourceDeps, until } from '../../test/sources.js';
import { createFileSource } from './file.js';
import { createSource } from './index.js';

const h = fileHarness();
const { follow, stop } = h;

describe('file source', () => {
  it('starts at the end of an existing file and delivers only what is appended', async () => {
    writeFileSync(h.file, lines('old 1', 'old 2'));
    const r = await follow();
    appendFileSync(h.file, lines('new 1'));
    await until(() => r.texts.length >= 1);
    await settle();
    expect(r.texts).toEqual(['new 1']);
  });

  it('reads the existing content first when asked to read from the start', async () => {
    writeFileSync(h.file, lines('old 1', 'old 2'));
    const r = await follow({ readFromStart: true });
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['old 1', 'old 2']);
  });

  it('delivers each appended line exactly once, stamped with its source and the clock time', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    for (let i = 0; i < 20; i++) appendFileSync(h.file, lines(`line ${i}`));
    await until(() => r.texts.length >= 20);
    await settle();
    expect(r.texts).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i}`));
    const first = r.batches[0]?.[0];
    expect(first?.source).toBe(`file:${h.file}`);
    expect(first?.receivedAt).toBeGreaterThan(0);
    expect(r.source.counters.lines).toBe(20);
  });

  it('hands the lines it can to a taker of bytes, and the others as text between them, in the order of the file, then says the chunk ended', async () => {
    writeFileSync(h.file, '');
    const order: string[] = [];
    const seen: Array<{ from: string; at: number }> = [];
    let taking = true;
    const source = createFileSource({ path: h.file, pollIntervalMs: 50 }, sourceDeps(h.positions));
    const ctl = new AbortController();
    const taker = Object.assign((b: Buffer, start: number, end: number, from: string, at: number) => {
      order.push(`bytes:${b.toString('latin1', start, end)}`);
      seen.push({ from, at });
    }, { end: () => { order.push('end'); } });
    await source.start((batch) => { for (const l of batch) order.push(`text:${l.text}`); }, ctl.signal, () => (taking ? taker : undefined));
    try {
      // A line that is not ASCII and one with a NUL (dropped, counted) among them, and a line cut across two reads.
      appendFileSync(h.file, `${lines('a 1', 'b \u00e9 2', 'c 3', 'd\u00004', 'e 5')}f `);
      await until(() => order.length >= 5);
      appendFileSync(h.file, '6\n');
      await until(() => order.length >= 7);
      taking = false;
      appendFileSync(h.file, lines('g 7'));
      await until(() => order.length >= 8);
      await settle();
      // The taker is told where each chunk ends, once its lines have all been handed on.
      expect(order).toEqual(['bytes:a 1', 'text:b \u00e9 2', 'bytes:c 3', 'bytes:e 5', 'end', 'bytes:f 6', 'end', 'text:g 7']);
      expect(seen.every((s) => s.from === `file:${h.file}` && s.at > 0)).toBe(true);
      expect(source.counters.lines).toBe(6);
      expect(source.counters.binary).toBe(1);
    } finally {
      ctl.abort();
      await source.stopped();
    }
  });

  it('delivers a partial line only once its newline is written', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    appendFileSync(h.file, 'sshd[1]: Failed pass');
    await settle();
    expect(r.texts).toEqual([]);
    appendFileSync(h.file, 'word for root\n');
    await until(() => r.texts.length >= 1);
    expect(r.texts).toEqual(['sshd[1]: Failed password for root']);
  });

  it('delivers a line whose writing had begun when the source started, once it is finished', async () => {
    writeFileSync(h.file, lines('old') + 'begun');
    const r = await follow();
    appendFileSync(h.file, ' and finished\n');
    await until(() => r.texts.length >= 1);
    expect(r.texts).toEqual(['begun and finished']);
  });

  it('resumes from the saved position after a restart, delivering lines written while stopped once', async () => {
    writeFileSync(h.file, lines('before'));
    const first = await follow();
    appendFileSync(h.file, lines('a', 'b'));
    await until(() => first.texts.length >= 2);
    await stop(first);
    expect(h.positions.saved.get(`file:${h.file}`)).toMatchObject({ offset: Buffer.byteLength(lines('before', 'a', 'b')) });

    appendFileSync(h.file, lines('c', 'd'));
    const second = await follow();
    appendFileSync(h.file, lines('e'));
    await until(() => second.texts.length >= 3);
    await settle();
    expect(second.texts).toEqual(['c', 'd', 'e']);
  });

  it('saves a position that excludes a partial line, so a restart hands it on whole', async () => {
    writeFileSync(h.file, '');
    const first = await follow();
    appendFileSync(h.file, lines('done') + 'half');
    await until(() => first.texts.length >= 1);
    await stop(first);
    appendFileSync(h.file, ' done\n');
    const second = await follow();
    await until(() => second.texts.length >= 1);
    expect(second.texts).toEqual(['half done']);
  });

  it('coalesces position saves instead of saving after every batch', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    for (let i = 0; i < 50; i++) {
      appendFileSync(h.file, lines(`l${i}`));
      if (i % 10 === 0) await settle(10);
    }
    await until(() => r.texts.length >= 50);
    await settle(300);
    expect(h.positions.saves).toBeLessThan(10);
    expect(h.positions.saved.get(`file:${h.file}`)).toMatchObject({ offset: Buffer.byteLength(r.texts.map((t) => `${t}\n`).join('')) });
  });

  it('strips the CR of CRLF line endings', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    appendFileSync(h.file, 'one\r\ntwo\r\n');
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['one', 'two']);
  });

  it('delivers and counts a line of invalid UTF-8, and drops and counts a line of binary data', async () => {
    writeFileSync(h.file, '');
    const r = await follow();
    appendFileSync(h.file, Buffer.concat([Buffer.from('bad \xff'.slice(0, 4)), Buffer.from([0xff, 0x0a]), Buffer.from('nul\u0000\nok\n')]));
    await until(() => r.texts.length >= 2);
    await settle(100);
    expect(r.texts).toEqual(['bad \uFFFD', 'ok']);
    expect(r.source.counters).toMatchObject({ invalid: 1, binary: 1, lines: 2 });
  });

  it('drops and counts an overlong line, including one written in several pieces', async () => {
    writeFileSync(h.file, '');
    const r = await follow({}, sourceDeps(h.positions, recordingLogger(), 100));
    appendFileSync(h.file, lines('x'.repeat(101), 'short'));
    appendFileSync(h.file, 'y'.repeat(80));
    await settle(100);
    appendFileSync(h.file, 'y'.repeat(80));
    await settle(100);
    appendFileSync(h.file, lines('y', 'after'));
    await until(() => r.texts.length >= 2);
    await settle();
    expect(r.texts).toEqual(['short', 'after']);
    expect(r.source.counters.overlong).toBe(2);
  });

  it('warns once when the file is missing and reads it from the start once it appears', async () => {
    const log = recordingLogger();
    const r = await follow({}, sourceDeps(h.positions, log));
    await settle();
    expect(log.warnings).toHaveLength(1);
    expect(log.warnings[0]).toContain('not found');
    writeFileSync(h.file, lines('first', 'second'));
    await until(() => r.texts.length >= 2);
    expect(r.texts).toEqual(['first', 'second']);
  });

  it('warns once while the path cannot be read, retries, and starts at the end once it can', async () => {
    // A directory at the path fails the same way as a chmod 000 file, and also when the tests run as root.
    mkdirSync(h.file);
    const log = recordingLogger();
    const r = await follow({}, sourceDeps(h.positions, log));
    await until(() => r.source.counters.errors >= 3);
    expect(log.warnings).toHaveLength(1);
    rmdirSync(h.file);
    writeFileSync(h.file, lines('written before it was readable'));
    await settle();
    appendFileSync(h.file, lines('visible'));
    await until(() => r.texts.length >= 1);
    await settle();
    expect(r.texts).toEqual(['visible']);
  });

  it('resolves stopped after saving its position when the signal aborts', async () => {
    writeFileSync(h.file, lines('x'));
    const r = await follow();
    await stop(r);
    expect(h.positions.saved.get(`file:${h.file}`)).toMatchObject({ offset: 2 });
  });
});

describe('createSource', () => {
  const loc = { file: '/etc/dictdefence/dictdefence.yaml', line: 7 };

  it('builds a file source named after its path, resolving a relative path beside the config file', () => {
    const s = createSource({ type: 'file', path: 'logs/auth.log', options: { poll_interval: 500 }, loc }, sourceDeps(h.positions));
    expect(s.ok && s.value.id).toBe('file:/etc/dictdefence/logs/auth.log');
  });

  it('returns an error naming the file and line for an unknown source type', () => {
    const s = createSource({ type: 'carrier-pigeon', options: {}, loc }, sourceDeps(h.positions));
    expect(s).toEqual({ ok: false, error: expect.stringContaining('dictdefence.yaml:7: type: unknown source type "carrier-pigeon"') });
  });

  it('returns an error for a file source without a path or with a bad poll interval', () => {
    expect(createSource({ type: 'file', options: {}, loc }, sourceDeps(h.positions)).ok).toBe(false);
    const bad = createSource({ type: 'file', path: '/x', options: { poll_interval: 'often' }, loc }, sourceDeps(h.positions));
    expect(bad.ok ? '' : bad.error).toContain('poll_interval');
  });
});

// Appends to a file on a local filesystem are read at once (readAppendedSync); elsewhere, and for a backlog
// longer than one buffer, through the thread pool. Both ways must hand on every line once, in order.
describe.each([true, false])('file source, read at once: %s', (readAtOnce) => {
  it('delivers small appends and a backlog of several buffers, in order, once', async () => {
    writeFileSync(h.file, '');
    const r = await follow({ readAtOnce });
    appendFileSync(h.file, lines('first'));
    await until(() => r.texts.length >= 1);
    // 3,000 lines of ~100 bytes: more than four 64 KiB buffers in one append.
    const big = Array.from({ length: 3000 }, (_, i) => `big ${i} ${'x'.repeat(90)}`);
    appendFileSync(h.file, lines(...big));
    appendFileSync(h.file, lines('last'));
    await until(() => r.texts.length >= 3002);
    await settle();
    expect(r.texts).toEqual(['first', ...big, 'last']);
    expect(r.source.counters.bytes).toBe(Buffer.byteLength(lines('first', ...big, 'last')));
  });
});

describe('local filesystems', () => {
  it('knows the local ones by their statfs magic and takes every other for remote', async () => {
    const { isLocalFilesystem, onLocalFilesystem } = await import('./local-fs.js');
    for (const local of [0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x794c7630]) expect(isLocalFilesystem(local)).toBe(true);
    // NFS, CIFS, SMB2, FUSE, Ceph, 9p.
    for (const remote of [0x6969, 0xff534d42, 0xfe534d42, 0x65735546, 0x00c36400, 0x01021997]) expect(isLocalFilesystem(remote)).toBe(false);
    expect(await onLocalFilesystem('/no/such/dir/file')).toBe(false);
  });
});
