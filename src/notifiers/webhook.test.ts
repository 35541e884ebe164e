import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address } from '../core/address.js';
import { realClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import type { Ban } from '../core/types.js';
import type { Notifier } from './notifier.js';
import type { WebhookOptions } from './options.js';
import { createWebhookNotifier } from './webhook.js';

const A = '2001:db8::7' as Address;
const T0 = Date.UTC(2025, 0, 2, 3, 4, 5);
const ban: Ban = { address: A, jail: 'sshd', bannedAt: T0, until: null, count: 5, reason: '5 failures in 10m' };
interface Received { headers: IncomingMessage['headers']; body: unknown }

/** A local HTTP server that answers each request with the next status in `statuses` (then 204), or not at all for 0. */
async function startHook(statuses: number[] = []): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (b: Buffer) => { text += b.toString(); });
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(text) });
      const status = statuses.shift() ?? 204;
      if (status !== 0) res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server };
}

const options = (url: string, more: Partial<WebhookOptions> = {}): WebhookOptions => ({
  url, headers: undefined, token_file: undefined, timeout: 2000, on: undefined, max_queue: undefined, max_per_hour: undefined,
  retries: undefined, retry_delay: 20, ...more,
});
const waitFor = async (cond: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe('the webhook notifier against a local HTTP server', () => {
  let server: Server | undefined;
  let notifier: Notifier | undefined;
  afterEach(async () => {
    await notifier?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r) ?? r(undefined));
  });

  it('POSTs each ban as JSON with the token from its file and the extra headers', async () => {
    const hook = await startHook();
    server = hook.server;
    const dir = mkdtempSync(join(tmpdir(), 'dd-hook-'));
    writeFileSync(join(dir, 'token'), 'abc123\n');
    try {
      notifier = createWebhookNotifier('hook', options(hook.url, { token_file: join(dir, 'token'), headers: { 'X-Source': 'web1' } }),
        { clock: realClock, log: silentLogger, hostname: 'web1' });
      notifier.notify({ kind: 'ban', ban, hits: [{ address: A, jail: 'sshd', at: T0, line: 'Failed password' }] });
      await waitFor(() => hook.got.length === 1);
    } finally { rmSync(dir, { recursive: true, force: true }); }
    expect(hook.got[0]?.headers.authorization).toBe('Bearer abc123');
    expect(hook.got[0]?.headers['x-source']).toBe('web1');
    expect(hook.got[0]?.headers['content-type']).toBe('application/json');
    expect(hook.got[0]?.body).toEqual({
      event: 'ban', host: 'web1', address: '2001:db8::7', jail: 'sshd', bannedAt: '2025-01-02T03:04:05.000Z', until: null,
      count: 5, reason: '5 failures in 10m', lines: ['Failed password'],
    });
    // The server has the request before the client has read its response.
    await waitFor(() => notifier!.counters.sent === 1);
    expect(notifier.counters.sent).toBe(1);
  });

  it('retries after a server error and after a request that times out, then delivers', async () => {
    const hook = await startHook([500, 0]);
    server = hook.server;
    notifier = createWebhookNotifier('hook', options(hook.url, { timeout: 200, retries: 3 }), { clock: realClock, log: silentLogger, hostname: 'web1' });
    notifier.notify({ kind: 'ban', ban, hits: [] });
    await waitFor(() => notifier!.counters.sent === 1);
    expect(hook.got).toHaveLength(3);
    expect(notifier.counters).toEqual({ sent: 1, failed: 2, dropped: 0 });
  });

  it('drops a notice with a count once every retry has failed', async () => {
    const hook = await startHook([503, 503]);
    server = hook.server;
    notifier = createWebhookNotifier('hook', options(hook.url, { retries: 1 }), { clock: realClock, log: silentLogger, hostname: 'web1' });
    notifier.notify({ kind: 'ban', ban, hits: [] });
    await waitFor(() => notifier!.counters.dropped === 1);
    expect(notifier.counters).toEqual({ sent: 0, failed: 2, dropped: 1 });
  });

  it('sends unbans with their reason only when configured with on: [ban, unban]', async () => {
    const hook = await startHook();
    server = hook.server;
    const bansOnly = createWebhookNotifier('a', options(hook.url), { clock: realClock, log: silentLogger, hostname: 'web1' });
    bansOnly.notify({ kind: 'unban', ban, reason: 'manual unban' });
    await bansOnly.close();
    notifier = createWebhookNotifier('b', options(hook.url, { on: ['ban', 'unban'] }), { clock: realClock, log: silentLogger, hostname: 'web1' });
    notifier.notify({ kind: 'unban', ban, reason: 'manual unban' });
    await waitFor(() => hook.got.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(hook.got).toHaveLength(1);
    expect(hook.got[0]?.body).toMatchObject({ event: 'unban', reason: 'manual unban', address: '2001:db8::7' });
  });
});
