/**
 * The journal source against a stand-in journalctl that replays a recorded `journalctl -o json` stream
 * (testdata/journal-sshd.jsonl), through the same spawn, parse, cursor and restart code as the real one.
 * journal-real.test.ts runs it against a real journald.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createJournalctlStandIn, MemoryPositions, recordingLogger, run, settle, sourceDeps, until,
  type JournalctlStandIn, type Running,
} from '../../test/sources.js';
import { createSource } from './index.js';
import { createJournalSource, type JournalSourceOptions } from './journal.js';

const recorded = readFileSync(new URL('./testdata/journal-sshd.jsonl', import.meta.url), 'utf8').split('\n').filter(Boolean);
const SSHD = recorded.filter((l) => (JSON.parse(l) as { SYSLOG_IDENTIFIER?: string }).SYSLOG_IDENTIFIER === 'sshd');
const cursorOf = (json: string | undefined): string => (JSON.parse(json ?? '{}') as { __CURSOR: string }).__CURSOR;
const KEY = 'journal:SYSLOG_IDENTIFIER=sshd';

let journalctl: JournalctlStandIn;
let positions: MemoryPositions;
const running: Running[] = [];

beforeEach(() => {
  journalctl = createJournalctlStandIn();
  positions = new MemoryPositions();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  journalctl.remove();
});

async function follow(options: Partial<JournalSourceOptions> = {}, log = recordingLogger()): Promise<Running> {
  const source = createJournalSource({
    match: { SYSLOG_IDENTIFIER: 'sshd' }, binary: journalctl.path, restartMinMs: 20, restartMaxMs: 200, ...options,
  }, sourceDeps(positions, log));
  const r = await run(source);
  running.push(r);
  return r;
}

const stop = async (r: Running): Promise<void> => {
  running.splice(running.indexOf(r), 1);
  await r.stop();
};

describe('journal source', () => {
  it('starts at the end the first time, passing the matches, and delivers new entries as syslog lines', async () => {
    journalctl.append(recorded.slice(0, 3));
    const r = await follow();
    await until(() => journalctl.calls().length === 1);
    journalctl.append(recorded.slice(3, 5));
    await until(() => r.texts.length >= 2);
    await settle(100);
    expect(r.texts).toEqual([
      expect.stringMatching(/ vm sshd\[\d+\]: Failed password for invalid user admin from 203\.0\.113\.10 port 50023 ssh2$/),
      expect.stringMatching(/ vm sshd\[\d+\]: Accepted publickey for alice /),
    ]);
    expect(r.batches[0]?.[0]?.source).toBe(KEY);
    expect(journalctl.calls()[0]).toEqual([
      '--follow', '--no-pager', '--output=json', '--all', '--output-fields=MESSAGE,_HOSTNAME,SYSLOG_IDENTIFIER,_COMM,_PID,SYSLOG_PID',
      '--lines=0', 'SYSLOG_IDENTIFIER=sshd',
    ]);
  });

  it('saves the cursor of the last entry and resumes after it on restart, reading what came meanwhile once', async () => {
    const first = await follow();
    await until(() => journalctl.calls().length === 1);
    journalctl.append(recorded.slice(0, 4));
    await until(() => first.texts.length >= 2);
    await stop(first);
    expect(positions.saved.get(KEY)).toEqual({ cursor: cursorOf(recorded[3]) });

    journalctl.append(recorded.slice(4));
    const second = await follow();
    await until(() => second.texts.length >= 2);
    await settle(100);
    expect(journalctl.calls()[1]).toContain(`--after-cursor=${cursorOf(recorded[3])}`);
    expect(second.texts).toEqual([
      expect.stringContaining('Accepted publickey for alice'),
      expect.stringContaining('Invalid user m\uFFFDller from 203.0.113.11'),
    ]);
    // The binary entry after them is dropped, but the cursor moved past it.
    await until(() => positions.saved.get(KEY)?.cursor === cursorOf(recorded[8]));
    expect(second.source.counters).toMatchObject({ binary: 1, invalid: 1 });
  });

  it('restarts journalctl after it dies, after the last entry it delivered, with a warning', async () => {
    const log = recordingLogger();
    const r = await follow({}, log);
    await until(() => journalctl.calls().length === 1);
    journalctl.append(recorded.slice(0, 3));
    await until(() => r.texts.length >= 1);
    await stop(r);

    journalctl.crashAfter(1);
    const again = await follow({}, log);
    journalctl.append(recorded.slice(3, 5));
    await until(() => again.texts.length >= 2);
    await settle(100);
    expect(again.texts).toEqual([expect.stringContaining('admin from 203.0.113.10'), expect.stringContaining('alice')]);
    expect(journalctl.calls()[2]).toContain(`--after-cursor=${cursorOf(recorded[3])}`);
    expect(log.warnings.some((w) => w.includes('journalctl exited with code 3') && w.includes('restarting'))).toBe(true);
  });

  it('drops a cursor journalctl rejects and reads from the end instead', async () => {
    positions.saved.set(KEY, { cursor: 's=gone;i=1' });
    const log = recordingLogger();
    const r = await follow({}, log);
    await until(() => journalctl.calls().length >= 2);
    expect(journalctl.calls()[1]).toContain('--lines=0');
    journalctl.append(SSHD.slice(0, 1));
    await until(() => r.texts.length >= 1);
    expect(log.warnings.some((w) => w.includes('rejected the saved cursor'))).toBe(true);
  });

  it('backs off between restarts of a journalctl that keeps failing, instead of spinning', async () => {
    // `false` exits at once without output, every time: restarts after 50, 100, 200, 400 ms…
    const r = await follow({ binary: 'false', restartMinMs: 50, restartMaxMs: 10_000 });
    await settle(500);
    const exits = r.source.counters.errors;
    expect(exits).toBeGreaterThanOrEqual(2);
    expect(exits).toBeLessThanOrEqual(4);
  });

  it('terminates journalctl when stopped', async () => {
    const r = await follow();
    await until(() => journalctl.calls().length === 1);
    await settle(50);
    await stop(r);
    expect(journalctl.terminated()).toBe(1);
  });

  it('fails to start with a clear error when journalctl is absent', async () => {
    const source = createJournalSource({ match: {}, binary: '/nonexistent/journalctl' }, sourceDeps(positions));
    await expect(run(source)).rejects.toThrow('"/nonexistent/journalctl" not found: install systemd\'s journalctl, or set "binary" to its path');
  });

  it('is built from a config entry, named after its matches and namespace', () => {
    const loc = { file: '/etc/dictdefence/dictdefence.yaml', line: 3 };
    const s = createSource({ type: 'journal', options: { match: { _SYSTEMD_UNIT: 'ssh.service' }, namespace: 'web' }, loc }, sourceDeps(positions));
    expect(s.ok && s.value.id).toBe('journal:web:_SYSTEMD_UNIT=ssh.service');
    const bad = createSource({ type: 'journal', options: { match: { 'unit name': 'x' } }, loc }, sourceDeps(positions));
    expect(bad.ok ? '' : bad.error).toContain('dictdefence.yaml:3: match.unit name: invalid journal field name');
  });
});
