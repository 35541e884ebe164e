import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from '../src/core/exec.js';
import { missing } from './ci.js';
import { BIN, requireBuild, sleep, tempDir, until, type TempDir } from './daemon.js';
import { createNetns, deleteAll, firewallUnavailable, hostFirewallFingerprint, inNs, onPath, run } from './netns.js';

/**
 * Real traffic against a real sshd. Three namespaces: `server` runs sshd and `dictdefence run`; `attacker`
 * and `trusted` (whitelisted) each reach it over their own veth pair. sshd logs to stderr and the test
 * writes its lines to auth.log behind a syslog head, as rsyslog would (the sshd filter anchors on
 * "sshd[PID]: ", which `sshd -E` does not write).
 */
const SERVER = '10.77.1.1', ATTACKER = '10.77.1.2', SERVER_T = '10.77.2.1', TRUSTED = '10.77.2.2';
const PORT = 2222, MAX_FAILURES = 3, BAN_SECONDS = 5;

interface Topology { server: string; attacker: string; trusted: string }

async function topology(): Promise<Topology> {
  const t = { server: await createNetns('ddsrv'), attacker: await createNetns('ddatk'), trusted: await createNetns('ddtru') };
  // Created from inside the namespaces (ip -n), so no interface ever exists in the host's namespace.
  for (const [peer, dev, local, remote] of [[t.attacker, 'va', SERVER, ATTACKER], [t.trusted, 'vt', SERVER_T, TRUSTED]] as const) {
    await run(['ip', '-n', t.server, 'link', 'add', `${dev}0`, 'type', 'veth', 'peer', 'name', `${dev}1`, 'netns', peer]);
    await run(['ip', '-n', t.server, 'addr', 'add', `${local}/24`, 'dev', `${dev}0`]);
    await run(['ip', '-n', peer, 'addr', 'add', `${remote}/24`, 'dev', `${dev}1`]);
    await run(['ip', '-n', t.server, 'link', 'set', `${dev}0`, 'up']);
    await run(['ip', '-n', peer, 'link', 'set', `${dev}1`, 'up']);
  }
  return t;
}

/** A syslog head for a line written now ("Nov 25 17:02:03 server sshd[PID]: "). */
const head = (pid: number | undefined): string => {
  const d = new Date();
  const mon = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)} server sshd[${pid ?? 0}]: `;
};

/** Starts `argv` inside `ns`, its stdout and stderr lines passed to `onLine`. */
function startIn(ns: string, argv: readonly string[], onLine: (line: string) => void): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', onLine);
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5_000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** One failed password login from namespace `ns` (wrong password, one prompt). */
const failLogin = (ns: string, host: string): Promise<unknown> => exec(['ip', 'netns', 'exec', ns, 'sshpass', '-p', 'wrong',
  'ssh', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'PubkeyAuthentication=no',
  '-o', 'PreferredAuthentications=password', '-o', 'NumberOfPasswordPrompts=1', '-o', 'ConnectTimeout=3', '-p', String(PORT),
  `root@${host}`, 'true'], { timeoutMs: 10_000 });

const PROBE = 'const s = require("node:net").connect({ host: process.argv[1], port: Number(process.argv[2]) });' +
  's.setTimeout(Number(process.argv[3]), () => process.exit(1)); s.on("connect", () => process.exit(0)); s.on("error", () => process.exit(1));';

/** Does a TCP connection from `ns` to host:PORT complete within `ms`? */
async function connects(ns: string, host: string, ms = 700): Promise<boolean> {
  const r = await exec(['ip', 'netns', 'exec', ns, process.execPath, '-e', PROBE, host, String(PORT), String(ms)], { timeoutMs: ms + 5_000 });
  return r.ok && r.value.code === 0;
}

const actionsUnderTest = [
  { type: 'nftables', binaries: ['nft'] },
  { type: 'iptables', binaries: ['iptables', 'iptables-restore'] },
  { type: 'ipset', binaries: ['ipset', 'iptables'] },
] as const;

describe('banning a real sshd attacker at the firewall (namespaces, real traffic)', () => {
  let skip = false;
  let hostBefore = '';
  beforeAll(async () => {
    skip = await firewallUnavailable(['nft', 'iptables', 'ipset']);
    for (const b of ['sshd', 'sshpass', 'ssh', 'ssh-keygen']) if (!skip && !onPath(b)) skip = missing(b, 'apt-get install openssh-server sshpass');
    if (skip) return;
    requireBuild();
    hostBefore = await hostFirewallFingerprint();
  });
  afterAll(async () => {
    await deleteAll();
    if (!skip) expect(await hostFirewallFingerprint(), 'the host firewall must not change').toBe(hostBefore);
  });

  for (const { type } of actionsUnderTest) {
    it(`drops the attacker with the ${type} action once it reaches max_failures, keeps the whitelisted client, and lets the attacker back after the ban`, async (ctx) => {
      if (skip) return ctx.skip();
      let dir: TempDir | undefined;
      let sshd: ChildProcess | undefined, daemon: ChildProcess | undefined;
      let daemonOut = '';
      let logOpen = true; // sshd's last lines may arrive after the test has removed its folder
      try {
        const t = await topology();
        dir = tempDir(`dd-e2e-${type}-`);
        const log = dir.file('auth.log');
        writeFileSync(log, '');
        await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', dir.file('host_key')]);
        writeFileSync(dir.file('sshd_config'), [`HostKey ${dir.file('host_key')}`, `PidFile ${dir.file('sshd.pid')}`, 'ListenAddress 0.0.0.0',
          'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'MaxStartups 100', ''].join('\n'));
        mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege-separation directory
        sshd = startIn(t.server, ['/usr/sbin/sshd', '-D', '-e', '-f', dir.file('sshd_config'), '-p', String(PORT)],
          (line) => { if (logOpen) appendFileSync(log, `${head(sshd?.pid)}${line}\n`); });
        expect(await waitFor(() => connects(t.attacker, SERVER)), 'sshd listens').toBe(true);

        writeFileSync(dir.file('dd.yaml'), [
          `state_dir: ${dir.file('state')}`, `pidfile: ${dir.file('dd.pid')}`, `control: { socket: ${dir.file('control.sock')} }`,
          `store: { type: sqlite, path: ${dir.file('state.db')} }`, `whitelist: [${TRUSTED}/32]`,
          'defaults:', `  tracker: { type: window, max_failures: ${MAX_FAILURES}, period: 10m }`, `  ban: { time: ${BAN_SECONDS}s }`,
          'actions:', `  firewall: { type: ${type} }`,
          'jails:', '  sshd:', `    sources: [{ type: file, path: ${log} }]`, '    filter: sshd', '    actions: [firewall]', '',
        ].join('\n'));
        daemon = startIn(t.server, [process.execPath, BIN, 'run', '-c', dir.file('dd.yaml')], (line) => { daemonOut += `${line}\n`; });
        expect(await until(() => daemonOut.includes('Started with'), 15_000), daemonOut).toBe(true);

        for (let i = 0; i < MAX_FAILURES + 2; i++) await failLogin(t.trusted, SERVER_T);
        // One failed login can yield several matching lines ("Failed password…" then "Connection closed by
        // authenticating user…"), so log in until the daemon bans, checking the way stays open before that.
        let logins = 0, failedAt = 0, bannedMs = 0;
        while (!daemonOut.includes(`Ban ${ATTACKER}`)) {
          expect(logins, daemonOut).toBeLessThan(MAX_FAILURES);
          expect(await connects(t.attacker, SERVER), `still connects after ${logins} failed logins`).toBe(true);
          // Timed from the start of the login: sshd logs the failure before the client has even exited.
          failedAt = performance.now();
          await failLogin(t.attacker, SERVER);
          logins++;
          if (await until(() => daemonOut.includes(`Ban ${ATTACKER}`), 2_000)) bannedMs = performance.now() - failedAt;
        }
        // Short probes in a loop: the first one that cannot connect marks the drop.
        expect(await waitFor(async () => !(await connects(t.attacker, SERVER, 150)), 10_000), daemonOut).toBe(true);
        const droppedMs = performance.now() - failedAt;
        expect(await connects(t.trusted, SERVER_T), 'the whitelisted client still connects').toBe(true);
        expect(await connects(t.attacker, SERVER, 1_000), 'the attacker stays dropped').toBe(false);
        expect(await kernelHolds(type, t.server), `${type} holds ${ATTACKER}`).toBe(true);

        expect(await waitFor(() => connects(t.attacker, SERVER, 300), (BAN_SECONDS + 10) * 1000), daemonOut).toBe(true);
        const backMs = performance.now() - failedAt;
        const lines = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(`from ${ATTACKER}`) || l.includes(` ${ATTACKER} port`)).length;
        process.stdout.write(`e2e ${type}: banned after ${logins} failed logins (${lines} sshd lines naming the attacker); failing login started → "Ban" logged ${bannedMs.toFixed(0)} ms, → connection dropped ${droppedMs.toFixed(0)} ms; attacker back after ${(backMs / 1000).toFixed(1)} s (ban ${BAN_SECONDS} s)\n`);
        expect(droppedMs).toBeLessThan(5_000);
        expect(daemonOut).not.toMatch(/ error /);
        if (process.env.DD_E2E_DEBUG) process.stdout.write(daemonOut);
        expect(backMs).toBeGreaterThan(BAN_SECONDS * 1000 - 1_000);
      } finally {
        await stop(daemon);
        await stop(sshd);
        logOpen = false;
        await deleteAll();
        dir?.cleanup();
      }
    });
  }
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await cond()) return true;
    await sleep(50);
  }
  return false;
}

/** The ban as the administrator would see it in the server's firewall. */
async function kernelHolds(type: string, ns: string): Promise<boolean> {
  if (type === 'nftables') return (await inNs(ns, ['nft', 'list', 'set', 'inet', 'dictdefence', 'banned_v4'])).includes(ATTACKER);
  if (type === 'iptables') return (await inNs(ns, ['iptables', '-w', '-S', 'dictdefence'])).includes(`-s ${ATTACKER}/32`);
  return (await inNs(ns, ['ipset', 'list', 'dictdefence-v4'])).includes(ATTACKER);
}
