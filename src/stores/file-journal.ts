import fs from 'node:fs';
import path from 'node:path';
import { JOURNAL_FORMAT, JOURNAL_VERSION, type JournalRecord } from './file-state.js';
import { parseRecord } from './file-records.js';

/**
 * The journal file of the file store: JSON lines appended with O_APPEND, one `write` per batch of records so
 * that a process killed mid-write leaves at most one torn line, at the end. Compaction writes the snapshot to
 * `PATH.tmp`, fsyncs it and renames it over the journal (atomic on POSIX), then fsyncs the folder so the
 * rename itself survives a power cut.
 */

/** The file is not a journal at all (or one from a newer version): opening it again will not help. */
export class CorruptStoreError extends Error {
  override readonly name = 'CorruptStoreError';
}

export interface ReadResult {
  /** Length of the prefix made of whole, readable lines: where the next append must go. */
  readonly goodBytes: number;
  /** A torn last line (a write cut short by a crash) was found after `goodBytes` and is ignored. */
  readonly tornBytes: number;
  /** Lines in the middle that do not parse (damage, not a crash): skipped, counted. */
  readonly badLines: number;
}

const CHUNK = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Replays `file` into `apply`, reading it in chunks so a journal larger than a JavaScript string still loads.
 * Returns how much of it is good. A missing or empty file is an empty journal.
 */
export function readJournal(file: string, apply: (r: JournalRecord, bytes: number) => void): ReadResult {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { goodBytes: 0, tornBytes: 0, badLines: 0 };
    throw e;
  }
  let offset = 0, goodBytes = 0, badLines = 0, pendingBytes = 0, pendingLines = 0, lineNo = 0;
  let carry = Buffer.alloc(0);
  const chunk = Buffer.allocUnsafe(CHUNK);
  try {
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, CHUNK, offset);
      if (n === 0) break;
      offset += n;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
        const bytes = nl + 1 - start;
        const record = parseRecord(data.toString('utf8', start, nl));
        if (++lineNo === 1) checkHeader(file, record);
        if (record === undefined) {
          pendingBytes += bytes;
          pendingLines++;
        } else {
          // Bad lines followed by a good one are damage in the middle, not a torn end: count them, go on.
          badLines += pendingLines;
          goodBytes += pendingBytes + bytes;
          pendingBytes = pendingLines = 0;
          apply(record, bytes);
        }
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
    // Whatever follows the last good line (bad lines, a line without its newline) is the torn end of a crash.
    const tornBytes = pendingBytes + carry.length;
    if (goodBytes === 0 && tornBytes > 0) checkTornStart(file, fd);
    return { goodBytes, tornBytes, badLines };
  } finally {
    fs.closeSync(fd);
  }
}

const HEADER_START = Buffer.from('{"op":"header"');

/**
 * A file without one whole line may be a journal whose creation was cut short (a partial header, or zeros
 * after a power cut), which is safe to start again; anything else is someone else's file (a SQLite database
 * named by mistake) and must not be truncated.
 */
function checkTornStart(file: string, fd: number): void {
  const head = Buffer.alloc(HEADER_START.length);
  const n = fs.readSync(fd, head, 0, head.length, 0);
  const start = head.subarray(0, n);
  if (start.every((b) => b === 0) || HEADER_START.subarray(0, n).equals(start)) return;
  throw new CorruptStoreError(`"${file}" is not a DictDefence file store journal (it has no header line)`);
}

function checkHeader(file: string, record: JournalRecord | undefined): void {
  if (record?.op !== 'header' || record.format !== JOURNAL_FORMAT) {
    throw new CorruptStoreError(`"${file}" is not a DictDefence file store journal (its first line is not the header)`);
  }
  if (record.version > JOURNAL_VERSION) {
    throw new CorruptStoreError(`journal version ${record.version} is newer than this version of DictDefence supports (${JOURNAL_VERSION})`);
  }
}

const serialize = (records: readonly JournalRecord[]): Buffer =>
  Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');

export interface Journal {
  readonly file: string;
  readonly bytes: number;
  /**
   * Appends `records` in one write; with `sync`, fdatasyncs before returning. Returns the bytes of each
   * record. On any failure (a full disk) the file is cut back to where it was, so a half-written line never
   * stays in the middle of the journal, and the error is thrown.
   */
  append(records: readonly JournalRecord[], sync: boolean): number[];
  /** Makes every earlier append durable. */
  sync(): void;
  /** Replaces the journal with `records` atomically (compaction). On failure the old journal stays. */
  rewrite(records: Iterable<JournalRecord>): void;
  close(): void;
}

/**
 * Opens `file` (in an existing folder) for appending, first cutting off a torn end after `goodBytes`; writes
 * the header if empty.
 */
export function openJournal(file: string, goodBytes: number, header: JournalRecord): Journal {
  const dir = path.dirname(path.resolve(file));
  const existed = fs.existsSync(file);
  let fd = fs.openSync(file, 'a', 0o600);
  if (!existed) fsyncDir(dir);
  if (fs.fstatSync(fd).size > goodBytes) fs.ftruncateSync(fd, goodBytes);
  let bytes = goodBytes;
  let closed = false;

  const journal: Journal = {
    file,
    get bytes() { return bytes; },
    append(records, sync) {
      if (closed) throw new Error('the store is closed');
      const sizes = records.map((r) => Buffer.byteLength(`${JSON.stringify(r)}\n`));
      const buf = serialize(records);
      try {
        for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off);
        if (sync) fs.fdatasyncSync(fd);
      } catch (e) {
        try { fs.ftruncateSync(fd, bytes); } catch { /* the next append's truncate retries; reads skip a torn line */ }
        throw e;
      }
      bytes += buf.length;
      return sizes;
    },
    sync() { fs.fdatasyncSync(fd); },
    rewrite(records) {
      const tmp = `${file}.tmp`;
      const out = fs.openSync(tmp, 'w', 0o600);
      let written = 0;
      try {
        let batch: JournalRecord[] = [];
        const flush = (): void => {
          const buf = serialize(batch);
          for (let off = 0; off < buf.length;) off += fs.writeSync(out, buf, off);
          written += buf.length;
          batch = [];
        };
        for (const r of records) { batch.push(r); if (batch.length >= 2000) flush(); }
        flush();
        fs.fsyncSync(out);
      } catch (e) {
        fs.closeSync(out);
        fs.rmSync(tmp, { force: true });
        throw e;
      }
      fs.closeSync(out);
      fs.renameSync(tmp, file);
      fsyncDir(dir);
      fs.closeSync(fd);
      fd = fs.openSync(file, 'a', 0o600);
      bytes = written;
    },
    close() {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
  if (goodBytes === 0) journal.append([header], true);
  return journal;
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
}
