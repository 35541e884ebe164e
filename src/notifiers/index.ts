import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import { createEmailNotifier } from './email.js';
import type { Notifier } from './notifier.js';
import type { EmailOptions, NotifierType, WebhookOptions } from './options.js';
import { createWebhookNotifier } from './webhook.js';

export interface NotifierDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** This machine's name, put in every notice. */
  readonly hostname: string;
}

/** The notifier plug-ins, by config `type`; `options.ts` holds their option specs and checks. */
export const notifiers = {
  email: createEmailNotifier,
  webhook: createWebhookNotifier,
} as const satisfies Record<NotifierType, unknown>;

/** Builds a notifier from options the config loader has validated against its spec. */
export function createNotifier(type: NotifierType, name: string, options: Readonly<Record<string, unknown>>, deps: NotifierDeps): Notifier {
  switch (type) {
    case 'email': return notifiers.email(name, options as EmailOptions, deps);
    case 'webhook': return notifiers.webhook(name, options as WebhookOptions, deps);
  }
}
