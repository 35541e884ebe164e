import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCidr, type Cidr } from '../core/cidr.js';
import { exec } from '../core/exec.js';
import { compileFilter } from '../filters/compile.js';
import { findFilter, loadFilterFile, shippedFiltersDir } from '../filters/load.js';
import { missing } from '../../test/ci.js';
import { MemoryPositions, recordingLogger, run, settle, sourceDeps, until, type RecordingLogger, type Running } from '../../test/sources.js';
import { createSource } from './index.js';
import { createSyslogSource, type SyslogSource, type SyslogSourceOptions } from './syslog.js';

const cidrs = (...texts: string[]): Cidr[] => texts.map((t) => parseCidr(t) as Cidr);
const LOOPBACK = cidrs('127.0.0.0/8', '::1');
const running: Running[] = [];
afterEach(async () => { await Promise.all(running.splice(0).map((r) => r.stop())); });

async function listen(options: Partial<SyslogSourceOptions> = {}, log: RecordingLogger = recordingLogger()): Promise<Running & { port: number }> {
  const source: SyslogSource = createSyslogSource({ protocol: 'udp', address: '127.0.0.1', port: 0, allow: LOOPBACK, ...options }, sourceDeps(new MemoryPositions(), log));
  const r = await run(source);
  running.push(r);
  return Object.assign(r, { port: source.address()?.port ?? 0 });
}

function sendUdp(port: number, ...messages: (string | Buffer)[]): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    let left = messages.length;
    for (const m of messages) {
      socket.send(m, port, '127.0.0.1', (e) => {
        if (e) reject(e);
        if (--left === 0) { socket.close(); resolve(); }
      });
    }
  });
}

function openTcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

const closed = (s: Socket): Promise<void> => new Promise((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

const FAIL = 'Failed password for root from 203.0.113.5 port 22 ssh2';

describe('syslog source over UDP', () => {
  it('delivers each datagram from an allowed sender as a file line, in a batch per turn of the event loop', async () => {
    const r = await listen();
    await sendUdp(r.port, `<38>Nov 25 16:55:59 web1 sshd[1]: ${FAIL}`, '<38>1 2026-11-25T16:55:59Z web1 sshd 2 - - second');
    await until(() => r.texts.length >= 2);
    expect(r.texts[0]).toBe(`Nov 25 16:55:59 web1 sshd[1]: ${FAIL}`);
    expect(r.texts[1]).toMatch(/ web1 sshd\[2\]: second$/);
    expect(r.batches[0]?.[0]?.source).toBe(`syslog:udp:127.0.0.1:0`);
  });

  it('drops and counts datagrams from a sender not in allow, without delivering or logging each', async () => {
    const log = recordingLogger();
    const r = await listen({ allow: cidrs('192.0.2.0/24') }, log);
    await sendUdp(r.port, '<13>Nov 25 16:55:59 h sshd[1]: one', '<13>Nov 25 16:55:59 h sshd[1]: two');
    await until(() => r.source.counters.denied >= 2);
    await settle(50);
    expect(r.texts).toEqual([]);
    expect(log.warnings).toEqual(['Dropped syslog datagram from 127.0.0.1: sender not in "allow"']);
  });

  it('survives a flood from a sender not in allow without memory growth', async () => {
    const r = await listen({ allow: cidrs('192.0.2.0/24') });
    const before = process.memoryUsage().rss;
    // A separate process floods 100,000 datagrams of 1 KiB (100 MB), as fast as it can.
    const flood = spawn(process.execPath, ['-e', `
      const s = require('node:dgram').createSocket('udp4'); const b = Buffer.alloc(1024, 65); let n = 0;
      const go = () => { for (let i = 0; i < 1000; i++) s.send(b, ${r.port}, '127.0.0.1'); if ((n += 1000) < 100000) setImmediate(go); else setTimeout(() => s.close(), 100); };
      go();`], { stdio: 'ignore' });
    await new Promise((resolve) => flood.once('exit', resolve));
    await settle(100);
    const grown = process.memoryUsage().rss - before;
    expect(r.source.counters.denied).toBeGreaterThan(1000);
    expect(r.texts).toEqual([]);
    expect(grown).toBeLessThan(30 * 1024 * 1024);
  });

  it('cuts a datagram over 8 KiB and counts it', async () => {
    const r = await listen();
    await sendUdp(r.port, `<13>Nov 25 16:55:59 h app: ${'x'.repeat(20_000)}`);
    await until(() => r.texts.length >= 1);
    // The first 8192 bytes of the datagram, less its "<13>".
    expect(Buffer.byteLength(r.texts[0] ?? '')).toBe(8188);
    expect(r.source.counters.truncated).toBe(1);
  });

  it('drops and counts a binary datagram', async () => {
    const r = await listen();
    await sendUdp(r.port, Buffer.from([0x3c, 0x31, 0x3e, 0, 1, 2, 3]), '<13>Nov 25 16:55:59 h app: after');
    await until(() => r.texts.length >= 1);
    expect(r.texts).toEqual(['Nov 25 16:55:59 h app: after']);
    expect(r.source.counters.binary).toBe(1);
  });

  it('fails to start with a clear error when the port is taken', async () => {
    const r = await listen();
    const again = createSyslogSource({ protocol: 'udp', address: '127.0.0.1', port: r.port, allow: LOOPBACK }, sourceDeps(new MemoryPositions()));
    await expect(run(again)).rejects.toThrow(`Cannot listen for syslog on udp 127.0.0.1:${r.port}: bind EADDRINUSE`);
  });
});

describe('syslog source over TCP', () => {
  it('reads newline-framed and octet-counted messages on one connection, split anywhere', async () => {
    const r = await listen({ protocol: 'tcp' });
    const s = await openTcp(r.port);
    const m = '<13>1 2026-11-25T16:55:59Z h sshd 7 - - octet\ncounted';
    const data = `<13>Nov 25 16:55:59 h sshd[1]: newline framed\n${Buffer.byteLength(m)} ${m}`;
    for (let i = 0; i < data.length; i += 7) s.write(data.slice(i, i + 7));
    await until(() => r.texts.length >= 2);
    expect(r.texts[0]).toBe('Nov 25 16:55:59 h sshd[1]: newline framed');
    expect(r.texts[1]).toMatch(/ h sshd\[7\]: octet#012counted$/);
    s.destroy();
  });

  it('closes a connection from a sender not in allow at once, and counts it', async () => {
    const r = await listen({ protocol: 'tcp', allow: cidrs('192.0.2.0/24') });
    const s = await openTcp(r.port);
    s.on('error', () => undefined);
    s.write('<13>Nov 25 16:55:59 h sshd[1]: x\n');
    await closed(s);
    expect(r.source.counters.denied).toBe(1);
    expect(r.texts).toEqual([]);
  });

  it('refuses connections over the limit and keeps serving the others', async () => {
    const r = await listen({ protocol: 'tcp', maxConnections: 2 });
    const [a, b] = [await openTcp(r.port), await openTcp(r.port)];
    const c = await openTcp(r.port);
    c.on('error', () => undefined);
    await closed(c);
    expect(r.source.counters.denied).toBe(1);
    a.write('<13>Nov 25 16:55:59 h app: from a\n');
    b.write('<13>Nov 25 16:55:59 h app: from b\n');
    await until(() => r.texts.length >= 2);
    expect(r.texts.sort()).toEqual(['Nov 25 16:55:59 h app: from a', 'Nov 25 16:55:59 h app: from b']);
    a.destroy(); b.destroy();
  });

  it('keeps memory bounded while one sender streams a 50 MB line', async () => {
    const r = await listen({ protocol: 'tcp' });
    const s = await openTcp(r.port);
    const before = process.memoryUsage().rss;
    const chunk = Buffer.alloc(1 << 20, 120);
    for (let i = 0; i < 50; i++) {
      if (!s.write(chunk)) await new Promise((resolve) => s.once('drain', resolve));
    }
    s.write('\n<13>Nov 25 16:55:59 h app: next\n');
    await until(() => r.texts.length >= 2, 20_000);
    expect(r.texts[1]).toBe('Nov 25 16:55:59 h app: next');
    expect(r.source.counters.truncated).toBe(1);
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);
    s.destroy();
  });
});

const haveLogger = spawnSync('logger', ['--version']).status === 0 || !missing('logger', 'install bsdutils');

describe.skipIf(!haveLogger)('syslog source fed by logger(1)', () => {

  const file = findFilter('sshd', [shippedFiltersDir]);
  const def = file.ok ? loadFilterFile(file.value) : undefined;
  const sshd = def?.ok ? compileFilter(def.value, { modes: [], maxLineLength: 8192 }) : undefined;

  it.each([
    ['udp', ['--udp']],
    ['udp', ['--udp', '--rfc3164']],
    ['tcp', ['--tcp']],
    ['tcp', ['--tcp', '--octet-count']],
    ['tcp', ['--tcp', '--rfc3164']],
  ] as const)('turns a message sent over %s with logger %j into a line the sshd filter matches', async (protocol, flags) => {
    if (!sshd?.ok) throw new Error('Cannot compile the sshd filter');
    const r = await listen({ protocol });
    const sent = await exec(['logger', ...flags, '-n', '127.0.0.1', '-P', String(r.port), '-t', 'sshd', '--id=4242', FAIL], { timeoutMs: 10_000 });
    expect(sent.ok && sent.value.code).toBe(0);
    await until(() => r.texts.length >= 1);
    expect(r.texts[0]).toMatch(new RegExp(`^[A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2} \\S+ sshd\\[4242\\]: ${FAIL}$`));
    expect(sshd.value.match(r.texts[0] ?? '')?.address).toBe('203.0.113.5');
  });
});

describe('syslog source config', () => {
  const loc = { file: '/etc/dictdefence/dictdefence.yaml', line: 9 };
  it('defaults to UDP on 127.0.0.1:514, loopback senders only, and refuses a host name as address', () => {
    const s = createSource({ type: 'syslog', options: {}, loc }, sourceDeps(new MemoryPositions()));
    expect(s.ok && s.value.id).toBe('syslog:udp:127.0.0.1:514');
    const bad = createSource({ type: 'syslog', options: { address: 'localhost' }, loc }, sourceDeps(new MemoryPositions()));
    expect(bad.ok ? '' : bad.error).toContain('address: expected an IPv4 or IPv6 address to listen on, got "localhost"');
  });
});
