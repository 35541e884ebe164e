/**
 * Turns one entry of `journalctl --output=json` into the line `journalctl --output=short` would print:
 * `Mmm dd hh:mm:ss HOST IDENTIFIER[PID]: MESSAGE`, so the filters written for syslog files match it.
 *
 * Fields: `__REALTIME_TIMESTAMP` (µs, as a decimal string) is the time, `_HOSTNAME` the host,
 * `SYSLOG_IDENTIFIER` (else `_COMM`) the program, `_PID` (else `SYSLOG_PID`) the pid, `MESSAGE` the text.
 * journalctl writes a field that is not valid UTF-8 (or holds control bytes) as an array of byte values,
 * and a field that occurs several times as an array of its values (the first is used). A message with a NUL
 * byte is binary and dropped (counted); invalid UTF-8 is replaced (counted); a multi-line message keeps its
 * newlines as `#012`, as rsyslog writes them.
 */
import type { SourceCounters } from './source.js';
import { traditionalLine } from './traditional-line.js';

export interface JournalLine {
  /** The entry's cursor: where to resume after it. */
  readonly cursor: string | undefined;
  /** The line, or `undefined` for an entry without a usable message (the cursor still moves on). */
  readonly text: string | undefined;
}

type Counters = Pick<SourceCounters, 'binary' | 'invalid' | 'errors'>;
type Field = { text: string } | 'binary' | undefined;

const isByte = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;

function decode(value: unknown): Field {
  if (typeof value === 'string') return { text: value };
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (!value.every(isByte)) return decode(value[0]);
  const bytes = Buffer.from(value);
  if (bytes.indexOf(0) !== -1) return 'binary';
  return { text: bytes.toString('utf8') };
}

const text = (entry: Record<string, unknown>, key: string): string | undefined => {
  const f = decode(entry[key]);
  return typeof f === 'object' && f.text !== '' ? f.text : undefined;
};

export function journalLine(json: string, now: number, counters: Counters): JournalLine | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    counters.errors++;
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    counters.errors++;
    return undefined;
  }
  const entry = parsed as Record<string, unknown>;
  const cursor = typeof entry.__CURSOR === 'string' ? entry.__CURSOR : undefined;
  const message = decode(entry.MESSAGE);
  if (message === 'binary') {
    counters.binary++;
    return { cursor, text: undefined };
  }
  if (message === undefined || message.text === '') return { cursor, text: undefined };
  if (message.text.includes('\uFFFD')) counters.invalid++;
  const micros = text(entry, '__REALTIME_TIMESTAMP');
  const time = micros !== undefined && /^\d{1,20}$/.test(micros) ? Math.floor(Number(micros) / 1000) : now;
  return {
    cursor,
    text: traditionalLine({
      time,
      host: text(entry, '_HOSTNAME') ?? 'localhost',
      program: text(entry, 'SYSLOG_IDENTIFIER') ?? text(entry, '_COMM'),
      pid: text(entry, '_PID') ?? text(entry, 'SYSLOG_PID'),
      message: message.text,
    }),
  };
}
