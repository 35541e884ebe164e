import { accessSync, constants } from 'node:fs';
import { checkSpec, entry, type Checker, type Infer, type Spec } from '../config/check.js';
import type { Raw } from '../config/raw.js';

/**
 * Option specs of each notifier type, validated by the config loader before any notifier is built. Kept apart
 * from the factories so that loading a config does not load an SMTP client.
 */
const common = {
  on: { type: 'strings', description: 'events to send: [ban] (default) or [ban, unban]' },
  max_queue: { type: 'int', min: 1, max: 1_000_000, description: 'events waiting at most; more are dropped and counted (default 1000)' },
  max_per_hour: { type: 'int', min: 1, max: 1_000_000, description: 'deliveries (mails, POSTs) per rolling hour at most' },
  retries: { type: 'int', min: 0, max: 20, description: 'attempts after a failed delivery before it is dropped (default 3)' },
  retry_delay: { type: 'duration', description: 'wait before the first retry, doubled each time (default 30s e-mail, 5s webhook)' },
} as const satisfies Spec;

export const notifierOptions = {
  email: {
    ...common,
    smtp: { type: 'map', required: true, description: 'host, port, security (none, starttls, tls), user, password or password_file, timeout, verify_certificate' },
    from: { type: 'string', required: true },
    to: { type: 'strings', required: true },
    subject_prefix: { type: 'string', description: 'default "[DictDefence]"' },
    batch: { type: 'duration', description: 'at most one mail per this interval; events meanwhile go into the next mail (default 1m)' },
    reverse_dns: { type: 'bool', description: 'look up the name of each address (default false)' },
    dns_timeout: { type: 'duration', description: 'give up a reverse lookup after this (default 2s)' },
  },
  webhook: {
    ...common,
    url: { type: 'string', required: true, description: 'http:// or https:// URL that receives a POST of JSON per event' },
    headers: { type: 'map', description: 'extra request headers, e.g. { X-Api-Key: … }' },
    token_file: { type: 'path', description: 'file whose content is sent as "Authorization: Bearer …"' },
    timeout: { type: 'duration', description: 'per request (default 10s)' },
  },
} as const satisfies Record<string, Spec>;

export type NotifierType = keyof typeof notifierOptions;
export const isNotifierType = (t: string): t is NotifierType => Object.hasOwn(notifierOptions, t);
export type EmailOptions = Infer<typeof notifierOptions.email>;
export type WebhookOptions = Infer<typeof notifierOptions.webhook>;

/** The keys of `smtp:`, checked with their real types (the spec above only sees a mapping of scalars). */
export const smtpOptions = {
  host: { type: 'string', required: true },
  port: { type: 'int', min: 1, max: 65535 },
  security: { type: 'string', oneOf: ['none', 'starttls', 'tls'] },
  user: { type: 'string' },
  password: { type: 'string' },
  password_file: { type: 'path' },
  timeout: { type: 'duration' },
  verify_certificate: { type: 'bool' },
} as const satisfies Spec;

const EVENTS = ['ban', 'unban'];
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

const readable = (c: Checker, node: Raw, key: string, file: string): void => {
  try { accessSync(file, constants.R_OK); } catch (e) { c.error(node, key, `cannot read "${file}": ${(e as Error).message}`); }
};

function checkCommon(c: Checker, node: Raw, path: string, on: readonly string[] | undefined): void {
  for (const [i, e] of (on ?? []).entries()) {
    if (!EVENTS.includes(e)) c.error(entry(node.kind === 'map' ? node : undefined, 'on') ?? node, `${path}.on[${i}]`, `unknown event "${e}" (use ban, unban)`);
  }
}

/** Checks beyond the spec: addresses, the nested `smtp:` keys, the URL, readable secret files. */
export const notifierChecks: { [T in NotifierType]: (c: Checker, node: Raw, path: string, o: Infer<(typeof notifierOptions)[T]>) => void } = {
  email(c, node, path, o) {
    checkCommon(c, node, path, o.on);
    const smtpNode = entry(node.kind === 'map' ? node : undefined, 'smtp');
    const smtp = smtpNode ? checkSpec(c, smtpNode, `${path}.smtp`, smtpOptions) : undefined;
    if (smtp?.password && smtp.password_file) c.error(smtpNode ?? node, `${path}.smtp`, 'use "password" or "password_file", not both');
    if (smtp?.password_file) readable(c, smtpNode ?? node, `${path}.smtp.password_file`, smtp.password_file);
    if ((smtp?.password || smtp?.password_file) && !smtp.user) c.error(smtpNode ?? node, `${path}.smtp.user`, 'a password needs a "user"');
    // The `map` field keeps the text as written; the checked value is resolved against the file that names it.
    if (o.smtp && smtp?.password_file) o.smtp.password_file = smtp.password_file;
    if (!EMAIL.test(o.from)) c.error(node, `${path}.from`, `invalid e-mail address "${o.from}"`);
    for (const [i, to] of o.to.entries()) if (!EMAIL.test(to)) c.error(node, `${path}.to[${i}]`, `invalid e-mail address "${to}"`);
    if (o.to.length === 0) c.error(node, `${path}.to`, 'name at least one recipient');
  },
  webhook(c, node, path, o) {
    checkCommon(c, node, path, o.on);
    let url: URL | undefined;
    try { url = new URL(o.url); } catch { /* reported below */ }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) c.error(node, `${path}.url`, `invalid URL "${o.url}": use http:// or https://`);
    for (const name of Object.keys(o.headers ?? {})) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) c.error(node, `${path}.headers.${name}`, `invalid header name "${name}"`);
    }
    if (o.token_file) readable(c, node, `${path}.token_file`, o.token_file);
  },
};

