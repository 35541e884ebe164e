#!/usr/bin/env node
// Deterministic corpora for the bench (no dependency on anything outside this repository).
//
// sshCorpus: OpenSSH auth.log lines, the same mix, PRNG (mulberry32) and order of draws as the corpus the
// performance anchors were measured on, so `node bench/corpus.mjs 1000000 > auth-1m.log` gives the very same
// file (103,591,014 bytes, md5 fd30d49b37c4a960c357f12447a2f19e): 40 % Failed password, 15 % Invalid user,
// 10 % Connection closed [preauth], 5 % Disconnected from invalid user [preauth], 5 % Accepted publickey
// (benign), 25 % benign noise; 20,000 attacker addresses, ~10 % IPv6, skewed popularity.
//
// Usage: node bench/corpus.mjs [N=1000000] [SEED=42] > file
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BAD_USERS = ['root', 'admin', 'test', 'oracle', 'postgres', 'ubuntu', 'git', 'user', 'guest', 'ftpuser',
  'pi', 'support', 'deploy', 'jenkins', 'hadoop', 'minecraft', 'nagios', 'steam', 'www', 'mysql', 'dev', 'tomcat'];
const REAL_USERS = ['alice', 'bob', 'deploy', 'ci'];
const BENIGN_IPS = ['192.168.1.10', '192.168.1.11', '172.16.5.20', '2001:db8:ffff::10'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n) => (n < 10 ? `0${n}` : `${n}`);

/** BSD syslog time of `t` (ms, UTC): `Mar  1 00:00:00`. */
export function bsdTime(t) {
  const d = new Date(t);
  const day = d.getUTCDate();
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** The lines of the sshd corpus, one at a time; every draw happens in the order the anchors' generator made it. */
export function* sshCorpus(n = 1_000_000, seed = 42) {
  const rnd = mulberry32(seed);
  const ri = (k) => Math.floor(rnd() * k);
  const pick = (a) => a[ri(a.length)];
  const POOL = 20_000;
  const seen = new Set();
  const attackers = [];
  while (attackers.length < POOL) {
    let ip;
    if (rnd() < 0.10) {
      const h = () => ri(0x10000).toString(16);
      ip = `2001:db8:${h()}:${h()}::${h()}`;
    } else {
      const r = rnd();
      if (r < 0.85) ip = `10.${ri(256)}.${ri(256)}.${1 + ri(254)}`;
      else if (r < 0.90) ip = `192.0.2.${1 + ri(254)}`;
      else if (r < 0.95) ip = `198.51.100.${1 + ri(254)}`;
      else ip = `203.0.113.${1 + ri(254)}`;
    }
    if (!seen.has(ip)) { seen.add(ip); attackers.push(ip); }
  }
  // A few heavy hitters and a long tail: the square of a uniform draw.
  const attacker = () => attackers[Math.floor(rnd() * rnd() * POOL)];
  const pid = () => 1000 + ri(60000);
  const port = () => 1024 + ri(64511);
  let t = Date.UTC(2024, 2, 1, 0, 0, 0);
  for (let i = 0; i < n; i++) {
    t += ri(3) * 1000;
    const p = rnd();
    const pre = `${bsdTime(t)} web1 `;
    if (p < 0.40) {
      const inv = rnd() < 0.5;
      const u = inv ? pick(BAD_USERS) + ri(100) : pick(BAD_USERS);
      yield `${pre}sshd[${pid()}]: Failed password for ${inv ? 'invalid user ' : ''}${u} from ${attacker()} port ${port()} ssh2`;
    } else if (p < 0.55) {
      yield `${pre}sshd[${pid()}]: Invalid user ${pick(BAD_USERS)}${ri(100)} from ${attacker()} port ${port()}`;
    } else if (p < 0.65) {
      yield `${pre}sshd[${pid()}]: Connection closed by authenticating user ${pick(BAD_USERS)} ${attacker()} port ${port()} [preauth]`;
    } else if (p < 0.70) {
      yield `${pre}sshd[${pid()}]: Disconnected from invalid user ${pick(BAD_USERS)}${ri(100)} ${attacker()} port ${port()} [preauth]`;
    } else if (p < 0.75) {
      yield `${pre}sshd[${pid()}]: Accepted publickey for ${pick(REAL_USERS)} from ${pick(BENIGN_IPS)} port ${port()} ssh2: ED25519 SHA256:q8dKxR3m0bXvU9f2kLw7Zp1aYcN4sE6tH5jGvB0oQiA`;
    } else {
      const q = ri(6);
      const P = pid();
      switch (q) {
        case 0: yield `${pre}sshd[${P}]: pam_unix(sshd:session): session opened for user ${pick(REAL_USERS)}(uid=1000) by (uid=0)`; break;
        case 1: yield `${pre}sshd[${P}]: pam_unix(sshd:session): session closed for user ${pick(REAL_USERS)}`; break;
        case 2: yield `${pre}CRON[${P}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`; break;
        case 3: yield `${pre}CRON[${P}]: pam_unix(cron:session): session closed for user root`; break;
        case 4: yield `${pre}systemd-logind[612]: New session ${ri(100000)} of user ${pick(REAL_USERS)}.`; break;
        default: yield `${pre}postfix/smtpd[${P}]: disconnect from unknown[${pick(BENIGN_IPS)}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4`;
      }
    }
  }
}

/**
 * The i-th of `n` distinct attacker addresses for the memory bench: 90 % IPv4 in 10.0.0.0/8, 10 % IPv6 in
 * 2001:db8::/32, all canonical.
 */
export function distinctAddress(i) {
  if (i % 10 === 9) return `2001:db8:${(i >>> 16).toString(16)}::${(i & 0xffff).toString(16)}`;
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/** Writes `lines` (an iterable of strings) to `path` or a stream, batched, honouring back-pressure. */
export async function writeLines(lines, out) {
  const stream = typeof out === 'string' ? createWriteStream(out) : out;
  let batch = [];
  for (const line of lines) {
    batch.push(line);
    if (batch.length === 10_000) {
      if (!stream.write(`${batch.join('\n')}\n`)) await once(stream, 'drain');
      batch = [];
    }
  }
  if (batch.length > 0) stream.write(`${batch.join('\n')}\n`);
  if (typeof out === 'string') { stream.end(); await once(stream, 'finish'); }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 1_000_000);
  const seed = Number(process.argv[3] ?? 42) >>> 0;
  await writeLines(sshCorpus(n, seed), process.stdout);
}
