import { formatDuration } from '../core/duration.js';
import type { NoticeEvent } from './notifier.js';

export interface MailContext {
  /** This machine's name, so a mail from one of several hosts says where it comes from. */
  readonly host: string;
  readonly subjectPrefix: string;
  /** Reverse DNS names found for addresses (absent: not looked up, or no name). */
  readonly names: ReadonlyMap<string, string>;
  /** Events lost (queue full, delivery failed) since the previous mail. */
  readonly dropped: number;
}

const DETAILED = 100; // events described in full; the rest of a large batch is one line each
const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
const ordinal = (n: number): string => `${n}${n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;

/** Subject and plain-text body of one mail carrying one or many events. */
export function composeMail(events: readonly NoticeEvent[], ctx: MailContext): { subject: string; text: string } {
  const bans = events.filter((e) => e.kind === 'ban').length;
  const unbans = events.length - bans;
  const first = events[0];
  let subject: string;
  if (events.length === 1 && first) {
    subject = `${ctx.subjectPrefix} ${ctx.host}: ${first.kind === 'ban' ? 'banned' : 'unbanned'} ${first.ban.address} in ${first.ban.jail}`;
  } else {
    const parts = [bans ? `${bans} ban${bans === 1 ? '' : 's'}` : '', unbans ? `${unbans} unban${unbans === 1 ? '' : 's'}` : ''].filter(Boolean);
    subject = `${ctx.subjectPrefix} ${ctx.host}: ${parts.join(', ')}`;
  }
  const blocks: string[] = [];
  if (events.length > 1) blocks.push(`DictDefence on ${ctx.host}: ${subject.slice(subject.indexOf(': ') + 2)}.`);
  events.slice(0, DETAILED).forEach((e) => blocks.push(describe(e, ctx)));
  const rest = events.slice(DETAILED);
  if (rest.length > 0) {
    blocks.push(`${rest.length} more:\n${rest.map((e) => `  ${e.kind === 'ban' ? 'banned  ' : 'unbanned'} ${e.ban.address} in ${e.ban.jail}`).join('\n')}`);
  }
  if (ctx.dropped > 0) blocks.push(`${ctx.dropped} earlier event${ctx.dropped === 1 ? ' was' : 's were'} not sent (queue full or delivery failed); see "dictdefence bans" for the full list.`);
  return { subject, text: `${blocks.join('\n\n')}\n\n-- \nDictDefence on ${ctx.host}\n` };
}

function describe(e: NoticeEvent, ctx: MailContext): string {
  const b = e.ban;
  const name = ctx.names.get(b.address);
  const who = name ? `${b.address} (${name})` : b.address;
  if (e.kind === 'unban') {
    return [`Unbanned ${who} in jail "${b.jail}"`, `  Reason:     ${e.reason}`, `  Banned at:  ${time(b.bannedAt)} (ban #${b.count})`].join('\n');
  }
  const length = b.until === null ? 'permanent' : `until ${time(b.until)} (${formatDuration(b.until - b.bannedAt)})`;
  const lines = [
    `Banned ${who} in jail "${b.jail}"`,
    `  Ban time:   ${time(b.bannedAt)}, ${length}`,
    `  Ban count:  ${b.count} (the ${ordinal(b.count)} ban of this address)`,
    `  Reason:     ${b.reason}`,
  ];
  if (e.hits.length > 0) {
    lines.push(`  Log lines that led to the ban (${e.hits.length}):`);
    // Log lines are attacker-influenced text: keep them on their own indented line, control characters shown.
    for (const h of e.hits) lines.push(`    ${h.line.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`);
  }
  return lines.join('\n');
}
