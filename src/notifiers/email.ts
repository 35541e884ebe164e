import { readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import type { Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { parseDuration } from '../core/duration.js';
import { createDelivery } from './delivery.js';
import { composeMail } from './message.js';
import type { Notifier, NoticeEvent } from './notifier.js';
import type { NotifierDeps } from './index.js';
import type { EmailOptions } from './options.js';

const LOCAL = new Set(['localhost', '127.0.0.1', '::1']);

/** The `smtp:` mapping as nodemailer wants it; the loader has checked every value already. */
function transportOptions(smtp: Readonly<Record<string, string>>): SMTPTransport.Options {
  const host = smtp.host ?? 'localhost';
  // A local relay usually has no certificate worth checking; anything remote must speak TLS.
  const security = smtp.security ?? (LOCAL.has(host) ? 'none' : 'starttls');
  const timeout = parseDuration(smtp.timeout ?? '30s') ?? 30_000;
  const port = smtp.port ? Number(smtp.port) : security === 'tls' ? 465 : security === 'starttls' ? 587 : 25;
  let pass = smtp.password;
  if (smtp.password_file) pass = readFileSync(smtp.password_file, 'utf8').trim();
  return {
    host, port,
    secure: security === 'tls',
    requireTLS: security === 'starttls',
    ignoreTLS: security === 'none',
    ...(smtp.user ? { auth: { user: smtp.user, pass: pass ?? '' } } : {}),
    connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout,
    tls: { rejectUnauthorized: smtp.verify_certificate !== 'false' },
  };
}

/**
 * The old tool's notify option: one mail to several recipients per ban, now batched (at most one mail per
 * `batch` interval, carrying every event since the last one) and rate-limited, sent from a queue so that a
 * slow or dead SMTP server never delays a ban. Each ban lists only the log lines of its last window.
 */
export function createEmailNotifier(name: string, o: EmailOptions, deps: NotifierDeps): Notifier {
  const on = new Set(o.on ?? ['ban']);
  const dnsTimeout = o.dns_timeout ?? 2000;
  let transport: Transporter | undefined;

  const getTransport = async (): Promise<Transporter> => {
    if (transport) return transport;
    // Loaded on first use: a daemon without e-mail, and every CLI command, never loads the SMTP client.
    const { createTransport } = await import('nodemailer');
    transport = createTransport(transportOptions(o.smtp));
    return transport;
  };

  const reverse = async (addresses: readonly string[]): Promise<Map<string, string>> => {
    const names = new Map<string, string>();
    if (!o.reverse_dns) return names;
    const resolver = new Resolver({ timeout: dnsTimeout, tries: 1 });
    const limit = new Promise<void>((r) => { setTimeout(r, dnsTimeout).unref(); });
    await Promise.race([limit, Promise.all(addresses.slice(0, 100).map(async (a) => {
      try { const [n] = await resolver.reverse(a); if (n) names.set(a, n); } catch { /* no name */ }
    }))]);
    resolver.cancel();
    return names;
  };

  const delivery = createDelivery<NoticeEvent>({
    name, clock: deps.clock, log: deps.log,
    batchMs: o.batch ?? 60_000,
    maxPerHour: o.max_per_hour ?? 20,
    maxQueue: o.max_queue ?? 1000,
    retries: o.retries ?? 3,
    retryDelayMs: o.retry_delay ?? 30_000,
    send: async (events, dropped) => {
      const names = await reverse([...new Set(events.map((e) => e.ban.address))]);
      const mail = composeMail(events, { host: deps.hostname, subjectPrefix: o.subject_prefix ?? '[DictDefence]', names, dropped });
      await (await getTransport()).sendMail({ from: o.from, to: [...o.to], subject: mail.subject, text: mail.text });
      deps.log.debug(`Notifier "${name}" mailed ${events.length} event${events.length === 1 ? '' : 's'}`, { to: o.to.join(',') });
    },
  });

  return {
    name,
    counters: delivery.counters,
    notify(event) { if (on.has(event.kind)) delivery.push(event); },
    async close() {
      await delivery.close();
      transport?.close();
    },
  };
}
