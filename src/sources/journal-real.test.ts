/**
 * The journal source against a real systemd-journald and journalctl. The test starts its own journald
 * instance in a private namespace (`systemd-journald NAMESPACE`, volatile storage under /run), so it needs
 * neither systemd as PID 1 nor the machine's journal, writes to it through its syslog socket with
 * logger(1), and removes everything afterwards. Needs root, systemd and bsdutils.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from '../core/exec.js';
import { missing } from '../../test/ci.js';
import { MemoryPositions, run, settle, sourceDeps, until, type Running } from '../../test/sources.js';
import { createJournalSource } from './journal.js';

const JOURNALD = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => existsSync(p));
const NS = `ddtest${process.pid}`;
const CONF = `/etc/systemd/journald@${NS}.conf`;
const SOCKET = `/run/systemd/journal.${NS}/dev-log`;

let journald: ChildProcess | undefined;

const works = (program: string): boolean => spawnSync(program, ['--version'], { stdio: 'ignore' }).status === 0;
const why = JOURNALD === undefined ? 'systemd-journald is not installed (apt-get install systemd)'
  : !works('journalctl') ? 'journalctl is not installed (apt-get install systemd)'
  : !works('logger') ? 'logger is not installed (apt-get install bsdutils)'
  : process.getuid?.() !== 0 ? 'starting a journald instance needs root' : undefined;
/** Outside CI a missing piece skips with the reason printed; under CI=true `missing` throws. */
const unavailable = why !== undefined && missing('systemd-journald', why);

beforeAll(async () => {
  if (unavailable || JOURNALD === undefined) return;
  mkdirSync('/etc/systemd', { recursive: true });
  writeFileSync(CONF, '[Journal]\nStorage=volatile\n');
  journald = spawn(JOURNALD, [NS], { stdio: 'ignore' });
  await until(() => existsSync(SOCKET), 10_000, `journald's socket ${SOCKET}`);
});

afterAll(async () => {
  if (journald && journald.exitCode === null) {
    const gone = new Promise((resolve) => journald?.once('exit', resolve));
    journald.kill('SIGTERM');
    await gone;
  }
  rmSync(CONF, { force: true });
  rmSync(`/run/systemd/journal.${NS}`, { recursive: true, force: true });
  for (const dir of ['/run/log/journal', '/var/log/journal']) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) if (name.endsWith(`.${NS}`)) rmSync(join(dir, name), { recursive: true, force: true });
  }
});

const log = async (message: string): Promise<void> => {
  const r = await exec(['logger', '-u', SOCKET, '-t', 'sshd', message], { timeoutMs: 5000 });
  if (!r.ok || r.value.code !== 0) throw new Error(`logger failed: ${r.ok ? r.value.stderr : r.error}`);
};

const fail = (address: string): string => `Failed password for root from ${address} port 50022 ssh2`;

describe.skipIf(unavailable)('journal source on a real journal', () => {
  it('follows matching entries and resumes after its cursor on restart', async () => {
    const positions = new MemoryPositions();
    const follow = (): Promise<Running> =>
      run(createJournalSource({ match: { SYSLOG_IDENTIFIER: 'sshd' }, namespace: NS }, sourceDeps(positions)));

    const first = await follow();
    // The first start reads from the end, from whenever journalctl has opened the journal: wait for that.
    for (let n = 0; !first.texts.some((t) => t.includes('ready marker')); n++) {
      if (n === 50) throw new Error('journalctl did not deliver a marker entry within 10 s');
      await log(`ready marker ${n}`);
      await until(() => first.texts.some((t) => t.includes('ready marker')), 200).catch(() => undefined);
    }
    await log(fail('203.0.113.51'));
    await log('not a failure');
    await until(() => first.texts.some((t) => t.includes('203.0.113.51')) && first.texts.some((t) => t.includes('not a failure')));
    await first.stop();
    const cursor = positions.saved.get(`journal:${NS}:SYSLOG_IDENTIFIER=sshd`)?.cursor;
    expect(cursor).toMatch(/^s=[0-9a-f]+;i=[0-9a-f]+;/);

    await log(fail('203.0.113.52'));
    const second = await follow();
    await until(() => second.texts.some((t) => t.includes('203.0.113.52')));
    await settle(300);
    expect(second.texts).toEqual([expect.stringMatching(/^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \S+ sshd\[\d+\]: Failed password for root from 203\.0\.113\.52 port 50022 ssh2$/)]);
    await second.stop();
  });
});
