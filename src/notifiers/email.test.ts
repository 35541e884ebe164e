import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address } from '../core/address.js';
import { realClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import type { Ban, Hit } from '../core/types.js';
import { startSmtp, type TestSmtp } from '../../test/smtp.js';
import { createEmailNotifier } from './email.js';
import type { Notifier } from './notifier.js';
import type { EmailOptions } from './options.js';

const A = '203.0.113.9' as Address;
const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const ban = (address: Address, count = 1): Ban => ({ address, jail: 'sshd', bannedAt: T0, until: T0 + 7_200_000, count, reason: '5 failures in 10m' });
const hit = (n: number): Hit => ({ address: A, jail: 'sshd', at: T0 - n * 1000, line: `Jan  2 03:04:0${n} web1 sshd[42]: Failed password for root from ${A} port 4242 ssh2` });

const options = (port: number, more: Partial<EmailOptions> = {}): EmailOptions => ({
  smtp: { host: '127.0.0.1', port: String(port), security: 'none', timeout: '5s' }, from: 'dd@example.org',
  to: ['root@example.org', 'security@example.org'], on: undefined, max_queue: undefined, max_per_hour: undefined, retries: undefined,
  retry_delay: undefined, subject_prefix: undefined, batch: undefined, reverse_dns: undefined, dns_timeout: undefined, ...more,
});
const waitFor = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe('the e-mail notifier against a real SMTP server', () => {
  let smtp: TestSmtp | undefined;
  let notifier: Notifier | undefined;
  afterEach(async () => { await notifier?.close(); await smtp?.close(); notifier = undefined; smtp = undefined; });

  it('mails a ban to every recipient with the address, jail, ban time, ban count and its log lines', async () => {
    smtp = await startSmtp();
    notifier = createEmailNotifier('admins', options(smtp.port), { clock: realClock, log: silentLogger, hostname: 'web1' });
    notifier.notify({ kind: 'ban', ban: ban(A, 2), hits: [hit(3), hit(2), hit(1)] });
    await waitFor(() => smtp!.mails.length === 1);
    const [mail] = smtp.mails;
    expect(mail?.from).toBe('dd@example.org');
    expect(mail?.to).toEqual(['root@example.org', 'security@example.org']);
    expect(mail?.subject).toBe('[DictDefence] web1: banned 203.0.113.9 in sshd');
    expect(mail?.text).toContain('Banned 203.0.113.9 in jail "sshd"');
    expect(mail?.text).toContain('Ban time:   2025-01-02 03:04:05 UTC, until 2025-01-02 05:04:05 UTC (2h)');
    expect(mail?.text).toContain('Ban count:  2 (the 2nd ban of this address)');
    expect(mail?.text).toContain('Log lines that led to the ban (3):');
    for (const n of [1, 2, 3]) expect(mail?.text).toContain(hit(n).line);
    // The server has the message before the client has read its 250 reply.
    await waitFor(() => notifier!.counters.sent === 1);
    expect(notifier.counters).toEqual({ sent: 1, failed: 0, dropped: 0 });
  });

  it('logs in with the user and the password from its file', async () => {
    smtp = await startSmtp({ user: 'dd', password: 's3cret' });
    const dir = mkdtempSync(join(tmpdir(), 'dd-mail-'));
    writeFileSync(join(dir, 'pass'), 's3cret\n');
    try {
      notifier = createEmailNotifier('admins', options(smtp.port, {
        smtp: { host: '127.0.0.1', port: String(smtp.port), security: 'none', user: 'dd', password_file: join(dir, 'pass') },
      }), { clock: realClock, log: silentLogger, hostname: 'web1' });
      notifier.notify({ kind: 'ban', ban: ban(A), hits: [] });
      await waitFor(() => smtp!.mails.length === 1);
      expect(smtp.mails[0]?.user).toBe('dd');
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('puts a wave of bans into one mail per batch interval and stops at the hourly limit', async () => {
    smtp = await startSmtp();
    notifier = createEmailNotifier('admins', options(smtp.port, { batch: 400, max_per_hour: 2 }), { clock: realClock, log: silentLogger, hostname: 'web1' });
    notifier.notify({ kind: 'ban', ban: ban(A), hits: [] });
    await waitFor(() => smtp!.mails.length === 1);
    for (let i = 10; i < 15; i++) notifier.notify({ kind: 'ban', ban: ban(`203.0.113.${i}` as Address), hits: [] });
    await waitFor(() => smtp!.mails.length === 2);
    expect(smtp.mails[1]?.subject).toBe('[DictDefence] web1: 5 bans');
    for (let i = 10; i < 15; i++) expect(smtp.mails[1]?.text).toContain(`Banned 203.0.113.${i} in jail "sshd"`);
    notifier.notify({ kind: 'ban', ban: ban('203.0.113.20' as Address), hits: [] });
    await new Promise((r) => setTimeout(r, 800));
    expect(smtp.mails).toHaveLength(2); // the third mail waits for the hour to pass
  });

  it('sends unbans only when told to, and never waits for the server in notify', async () => {
    smtp = await startSmtp();
    const ignoring = createEmailNotifier('a', options(smtp.port), { clock: realClock, log: silentLogger, hostname: 'web1' });
    ignoring.notify({ kind: 'unban', ban: ban(A), reason: 'expired' });
    await ignoring.close();
    notifier = createEmailNotifier('b', options(smtp.port, { on: ['ban', 'unban'] }), { clock: realClock, log: silentLogger, hostname: 'web1' });
    const t = performance.now();
    notifier.notify({ kind: 'unban', ban: ban(A), reason: 'expired' });
    expect(performance.now() - t).toBeLessThan(20);
    await waitFor(() => smtp!.mails.length === 1);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]?.subject).toBe('[DictDefence] web1: unbanned 203.0.113.9 in sshd');
  });

  it('retries while the SMTP server is down, then drops the notice and counts it', async () => {
    const dead = await startSmtp();
    const port = dead.port;
    await dead.close();
    notifier = createEmailNotifier('admins', options(port, { retries: 2, retry_delay: 30 }), { clock: realClock, log: silentLogger, hostname: 'web1' });
    notifier.notify({ kind: 'ban', ban: ban(A), hits: [] });
    await waitFor(() => notifier!.counters.dropped === 1);
    expect(notifier.counters).toEqual({ sent: 0, failed: 3, dropped: 1 });
  });

  it('still sends when a reverse lookup is asked for and gets no answer in time', async () => {
    smtp = await startSmtp();
    notifier = createEmailNotifier('admins', options(smtp.port, { reverse_dns: true, dns_timeout: 300 }), { clock: realClock, log: silentLogger, hostname: 'web1' });
    notifier.notify({ kind: 'ban', ban: ban('192.0.2.1' as Address), hits: [] });
    await waitFor(() => smtp!.mails.length === 1, 5000);
    expect(smtp.mails[0]?.text).toMatch(/Banned 192\.0\.2\.1( \([^)]*\))? in jail/);
  });
});
