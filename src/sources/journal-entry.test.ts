import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../filters/compile.js';
import { findFilter, loadFilterFile, shippedFiltersDir } from '../filters/load.js';
import { journalLine } from './journal-entry.js';
import { newSourceCounters } from './source.js';
import { bsdTime } from './traditional-line.js';

/** Entries captured with `journalctl -o json` from a real journald, plus a multi-line and a binary one. */
const recorded = readFileSync(new URL('./testdata/journal-sshd.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean);
const entry = (i: number): Record<string, unknown> => JSON.parse(recorded[i] ?? '{}') as Record<string, unknown>;
const timeOf = (i: number): string => bsdTime(Math.floor(Number(entry(i).__REALTIME_TIMESTAMP) / 1000));

describe('journal entry to line', () => {
  it('writes a recorded sshd entry as journalctl --output=short would, with its cursor', () => {
    const counters = newSourceCounters();
    const r = journalLine(recorded[2] ?? '', 0, counters);
    expect(r).toEqual({
      cursor: entry(2).__CURSOR,
      text: `${timeOf(2)} vm sshd[${String(entry(2)._PID)}]: Failed password for root from 203.0.113.10 port 50022 ssh2`,
    });
  });

  it('gives lines the shipped sshd filter matches', () => {
    const file = findFilter('sshd', [shippedFiltersDir]);
    const def = file.ok ? loadFilterFile(file.value) : undefined;
    const filter = def?.ok ? compileFilter(def.value, { modes: [], maxLineLength: 8192 }) : undefined;
    if (!filter?.ok) throw new Error('Cannot compile the sshd filter');
    const counters = newSourceCounters();
    const addresses = recorded.map((json) => journalLine(json, 0, counters)?.text)
      .map((text) => (text === undefined ? undefined : filter.value.match(text)?.address));
    expect(addresses.filter(Boolean)).toEqual(['203.0.113.10', '203.0.113.10', '203.0.113.11']);
  });

  it('decodes a message journalctl wrote as bytes because it is not UTF-8, and counts it', () => {
    const counters = newSourceCounters();
    expect(journalLine(recorded[5] ?? '', 0, counters)?.text).toMatch(/sshd\[\d+\]: Invalid user m\uFFFDller from 203\.0\.113\.11 port 50024$/);
    expect(counters.invalid).toBe(1);
  });

  it('keeps a multi-line message on one line, its newline written as #012', () => {
    const counters = newSourceCounters();
    expect(journalLine(recorded[7] ?? '', 0, counters)?.text).toMatch(/ multiline\[16000\]: line one#012line two$/);
  });

  it('drops a binary message, counting it, but still moves the cursor past it', () => {
    const counters = newSourceCounters();
    expect(journalLine(recorded[8] ?? '', 0, counters)).toEqual({ cursor: entry(8).__CURSOR, text: undefined });
    expect(counters.binary).toBe(1);
  });

  it('falls back to _COMM and SYSLOG_PID, the first of several values, and the clock for a missing time', () => {
    const counters = newSourceCounters();
    const json = JSON.stringify({ __CURSOR: 'c', _COMM: 'sshd', SYSLOG_PID: '7', MESSAGE: ['first', 'second'], _HOSTNAME: 'h' });
    expect(journalLine(json, Date.UTC(2026, 0, 1), counters)?.text).toBe(`${bsdTime(Date.UTC(2026, 0, 1))} h sshd[7]: first`);
  });

  it('counts a line that is not a JSON object as an error', () => {
    const counters = newSourceCounters();
    expect(journalLine('not json', 0, counters)).toBeUndefined();
    expect(journalLine('[1,2]', 0, counters)).toBeUndefined();
    expect(counters.errors).toBe(2);
  });
});
