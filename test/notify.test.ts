import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, writeConfig } from './cli.js';
import { recorder, sshdFailure, tempDir, until, type TempDir } from './daemon.js';
import { startSmtp, type TestSmtp } from './smtp.js';

/** The daemon's notices end to end: a real daemon, a real SMTP server and a real HTTP endpoint. */
describe('notices from a running daemon', () => {
  let dir: TempDir;
  let smtp: TestSmtp | undefined;
  let hook: Server | undefined;
  afterEach(async () => {
    const pid = existsSync(dir.file('dd.pid')) ? Number(readFileSync(dir.file('dd.pid'), 'utf8')) : 0;
    if (pid > 1) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    await smtp?.close();
    hook?.closeAllConnections();
    hook?.close();
    dir.cleanup();
  });

  it('mails a ban with only the log lines of its last window, and posts ban and unban to a webhook', async () => {
    dir = tempDir('dd-notify-');
    smtp = await startSmtp();
    const posts: Record<string, unknown>[] = [];
    hook = createServer((req, res) => {
      let t = '';
      req.on('data', (b: Buffer) => { t += b.toString(); });
      req.on('end', () => { posts.push(JSON.parse(t) as Record<string, unknown>); res.writeHead(200).end(); });
    });
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', () => r()));
    const rec = recorder(dir);
    const config = writeConfig(dir, rec.script, [
      '    use_line_time: true',
      '    notifiers: [admins, hook]',
      'notifiers:',
      `  admins: { type: email, smtp: { host: 127.0.0.1, port: ${smtp.port}, security: none }, from: dd@example.org, to: [root@example.org, sec@example.org], batch: 1s }`,
      `  hook: { type: webhook, url: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/dd", on: [ban, unban], retry_delay: 100ms }`,
    ].join('\n'));
    const env = { ...process.env, TZ: 'UTC' };
    const started = await cli(['run', '-d', '-c', config], { env });
    expect(started.code, started.stderr).toBe(0);
    const old = new Date(Date.now() - 20 * 60_000);
    appendFileSync(dir.file('auth.log'), sshdFailure('203.0.113.90', old) + sshdFailure('203.0.113.90', old));
    const now = new Date();
    const recent = [sshdFailure('203.0.113.90', now), sshdFailure('203.0.113.90', now), sshdFailure('203.0.113.90', now)];
    appendFileSync(dir.file('auth.log'), recent.join(''));
    expect(await until(() => smtp!.mails.length === 1, 15_000), readFileSync(dir.file('dd.log'), 'utf8')).toBe(true);
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['root@example.org', 'sec@example.org']);
    expect(mail.subject).toMatch(/banned 203\.0\.113\.90 in sshd$/);
    expect(mail.text).toContain('Ban count:  1');
    expect(mail.text).toContain('Log lines that led to the ban (3):');
    for (const line of recent) expect(mail.text).toContain(line.trim());
    expect(await until(() => posts.length === 1)).toBe(true);
    expect(posts[0]).toMatchObject({ event: 'ban', address: '203.0.113.90', jail: 'sshd', count: 1 });
    expect(posts[0]?.lines).toHaveLength(3);

    expect((await cli(['unban', '203.0.113.90', '-c', config])).code).toBe(0);
    expect(await until(() => posts.length === 2)).toBe(true);
    expect(posts[1]).toMatchObject({ event: 'unban', address: '203.0.113.90', reason: 'manual unban' });
    const status = JSON.parse((await cli(['status', '--json', '-c', config])).stdout) as { notifiers: { name: string; sent: number }[] };
    expect(status.notifiers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'admins', sent: 1 }), expect.objectContaining({ name: 'hook', sent: 2 })]));
  });

  it('bans on time while the SMTP server is down, and counts the notice as dropped', async () => {
    dir = tempDir('dd-notify-');
    const dead = await startSmtp();
    await dead.close();
    const rec = recorder(dir);
    const config = writeConfig(dir, rec.script, [
      '    notifiers: [admins]',
      'notifiers:',
      `  admins: { type: email, smtp: { host: 127.0.0.1, port: ${dead.port}, security: none, timeout: 2s }, from: dd@example.org, to: [root@example.org], retries: 1, retry_delay: 200ms }`,
    ].join('\n'));
    expect((await cli(['run', '-d', '-c', config])).code).toBe(0);
    const t = Date.now();
    for (let i = 0; i < 3; i++) appendFileSync(dir.file('auth.log'), sshdFailure('203.0.113.91'));
    expect(await until(() => rec.lines().includes('ban 203.0.113.91'))).toBe(true);
    expect(Date.now() - t).toBeLessThan(5000);
    const dropped = async (): Promise<number> =>
      (JSON.parse((await cli(['status', '--json', '-c', config])).stdout) as { notifiers: { dropped: number }[] }).notifiers[0]!.dropped;
    for (let i = 0; i < 50 && (await dropped()) === 0; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await dropped()).toBe(1);
    expect(readFileSync(dir.file('dd.log'), 'utf8')).toContain('Notifier "admins" could not deliver 1 event');
  });
});
