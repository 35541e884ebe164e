import { readFileSync } from 'node:fs';
import { createDelivery } from './delivery.js';
import type { Notifier, NoticeEvent } from './notifier.js';
import type { NotifierDeps } from './index.js';
import type { WebhookOptions } from './options.js';

/** The JSON body of one event: stable field names, times as ISO 8601, `until: null` for a permanent ban. */
export function webhookBody(event: NoticeEvent, host: string): Record<string, unknown> {
  const b = event.ban;
  return {
    event: event.kind, host, address: b.address, jail: b.jail,
    bannedAt: new Date(b.bannedAt).toISOString(),
    until: b.until === null ? null : new Date(b.until).toISOString(),
    count: b.count,
    reason: event.kind === 'ban' ? b.reason : event.reason,
    ...(event.kind === 'ban' ? { lines: event.hits.map((h) => h.line) } : {}),
  };
}

/**
 * `node:http` or `node:https`, loaded at the first POST: `node:https` loads TLS and OpenSSL, which cost a daemon
 * that has no webhook (most) 2 MB of resident memory at idle (measured), against an idle target of 60 MB.
 */
const client = async (url: URL): Promise<typeof import('node:http')['request']> =>
  (url.protocol === 'https:' ? (await import('node:https')).request : (await import('node:http')).request);

/** One POST; resolves on a 2xx answer, rejects on anything else (redirects included) or after `timeoutMs`. */
export async function post(url: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const request = await client(url);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'dictdefence', ...headers },
      timeout: timeoutMs,
    }, (res) => {
      res.resume(); // the answer's body is not needed, but must be read for the socket to be released
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) resolve();
        else reject(new Error(`HTTP ${code} from ${url.origin}`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * POSTs each event as JSON to a URL, one at a time from a bounded queue, with a timeout and retries; the
 * token, if any, is read from a file so that it stays out of the config.
 */
export function createWebhookNotifier(name: string, o: WebhookOptions, deps: NotifierDeps): Notifier {
  const on = new Set(o.on ?? ['ban']);
  const url = new URL(o.url);
  const timeoutMs = o.timeout ?? 10_000;
  const headers = (): Record<string, string> => {
    const h: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token_file) h.authorization = `Bearer ${readFileSync(o.token_file, 'utf8').trim()}`;
    return h;
  };
  const delivery = createDelivery<NoticeEvent>({
    name, clock: deps.clock, log: deps.log,
    batchMs: 0,
    maxPerHour: o.max_per_hour ?? 3600,
    maxQueue: o.max_queue ?? 1000,
    retries: o.retries ?? 3,
    retryDelayMs: o.retry_delay ?? 5000,
    send: async (events, dropped) => {
      for (const e of events) {
        await post(url, JSON.stringify({ ...webhookBody(e, deps.hostname), ...(dropped > 0 ? { droppedBefore: dropped } : {}) }), headers(), timeoutMs);
      }
    },
  });
  return {
    name,
    counters: delivery.counters,
    notify(event) { if (on.has(event.kind)) delivery.push(event); },
    close: () => delivery.close(),
  };
}
