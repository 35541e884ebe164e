import type { Ban, Hit } from '../core/types.js';

export type NoticeEvent =
  | { readonly kind: 'ban'; readonly ban: Ban; readonly hits: readonly Hit[] }
  | { readonly kind: 'unban'; readonly ban: Ban; readonly reason: string };

/**
 * Tells people about bans. `notify` returns at once: a notifier never blocks the ban path; it batches,
 * rate-limits, retries and counts drops on its own. `close` sends what is queued, bounded in time.
 */
export interface Notifier {
  readonly name: string;
  notify(event: NoticeEvent): void;
  close(): Promise<void>;
  readonly counters: { sent: number; failed: number; dropped: number };
}
