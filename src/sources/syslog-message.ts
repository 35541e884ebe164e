/**
 * Parses one syslog message, RFC 5424 or RFC 3164 (BSD), into the line rsyslog would write to a file:
 * `Mmm dd hh:mm:ss HOST PROGRAM[PID]: MESSAGE`, so that the filters written for log files match it.
 *
 * - RFC 5424 `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD…] MSG`: the time is shown in local time, a nil
 *   (`-`) host is replaced by the sender's address, structured data is skipped, a BOM before MSG dropped.
 * - RFC 3164 `<PRI>Mmm dd hh:mm:ss HOST TAG: MSG`: the head and everything after the host are kept as
 *   written. A sender that leaves out the host (`<13>Nov 25 16:55:59 sshd[1]: …`, recognised by the
 *   token ending in ":" or holding "[") gets the sender's address; a message with no timestamp gets the
 *   receiving time and the sender's address, as RFC 3164 §4.3.3 asks of a relay. ISO timestamps in the
 *   3164 position (rsyslog's forwarding format) are accepted too.
 * - A message without PRI is taken as RFC 3164 content. Trailing CR, LF and NUL are dropped; a message with
 *   a NUL inside is binary and dropped (counted); invalid UTF-8 is replaced and counted; control characters
 *   are escaped as rsyslog does (see traditional-line.ts).
 * The host and program are the sender's claim: only the `allow` list decides whom to believe.
 */
import type { SourceCounters } from './source.js';
import { bsdTime, traditionalLine } from './traditional-line.js';

const PRI = /^<(\d{1,3})>/;
const V5424 = /^[1-9]\d{0,2} /;
const BSD_HEAD = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}:\d{2}:\d{2})(?:\.\d{1,6})? /;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const ISO_HEAD = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})) /;
const TOKEN = /^(\S{1,255}) /;

/** ms since the epoch of an RFC 3339 time, or undefined. */
function isoTime(text: string): number | undefined {
  if (!ISO_TIME.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** Index just past the structured data that starts at `i` (`-` or `[id k="v"]…`), or -1 if malformed. */
function skipStructuredData(text: string, i: number): number {
  if (text[i] === '-') return i + 1;
  let pos = i;
  while (text[pos] === '[') {
    let quoted = false;
    let j = pos + 1;
    for (; j < text.length; j++) {
      const c = text[j];
      if (quoted && c === '\\') j++;
      else if (c === '"') quoted = !quoted;
      else if (c === ']' && !quoted) break;
    }
    if (j >= text.length) return -1;
    pos = j + 1;
  }
  return pos === i ? -1 : pos;
}

const nil = (v: string | undefined): string | undefined => (v === undefined || v === '-' ? undefined : v);

function parse5424(text: string, sender: string, now: number): string | undefined {
  const fields: string[] = [];
  let pos = 0;
  for (let k = 0; k < 6; k++) {
    const sp = text.indexOf(' ', pos);
    if (sp === -1) return undefined;
    fields.push(text.slice(pos, sp));
    pos = sp + 1;
  }
  const [, timestamp, host, app, procid] = fields;
  const end = skipStructuredData(text, pos);
  if (end === -1) return undefined;
  let message = text[end] === ' ' ? text.slice(end + 1) : text.slice(end);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  const time = (timestamp === undefined || timestamp === '-' ? undefined : isoTime(timestamp)) ?? now;
  return traditionalLine({ time, host: nil(host) ?? sender, program: nil(app), pid: nil(procid), message });
}

function parse3164(text: string, sender: string, now: number): string {
  let time: number | string | undefined;
  let rest = text;
  const bsd = BSD_HEAD.exec(text);
  if (bsd) {
    time = `${bsd[1]} ${(bsd[2] ?? '').padStart(2, ' ')} ${bsd[3]}`;
    rest = text.slice(bsd[0].length);
  } else {
    const iso = ISO_HEAD.exec(text);
    const t = iso ? isoTime(iso[1] ?? '') : undefined;
    if (iso && t !== undefined) {
      time = bsdTime(t);
      rest = text.slice(iso[0].length);
    }
  }
  if (time === undefined) return traditionalLine({ time: now, host: sender, message: text });
  const token = TOKEN.exec(rest);
  const host = token && !token[1]?.endsWith(':') && !token[1]?.includes('[') ? token[1] : undefined;
  if (host !== undefined && token) rest = rest.slice(token[0].length);
  return traditionalLine({ time, host: host ?? sender, message: rest });
}

/**
 * The file line for one received message, or `undefined` when it is empty or binary (counted). `sender` is
 * the canonical address it came from; `now` times a message that carries no time of its own.
 */
export function syslogLine(
  message: Buffer,
  sender: string,
  now: number,
  counters: Pick<SourceCounters, 'binary' | 'invalid'>,
): string | undefined {
  let end = message.length;
  while (end > 0) {
    const b = message[end - 1];
    if (b !== 0x0a && b !== 0x0d && b !== 0) break;
    end--;
  }
  if (end === 0) return undefined;
  const body = message.subarray(0, end);
  if (body.indexOf(0) !== -1) {
    counters.binary++;
    return undefined;
  }
  let text = body.toString('utf8');
  if (text.includes('\uFFFD')) counters.invalid++;
  const pri = PRI.exec(text);
  if (pri && Number(pri[1]) <= 191) text = text.slice(pri[0].length);
  if (pri && V5424.test(text)) {
    const line = parse5424(text, sender, now);
    if (line !== undefined) return line;
  }
  return parse3164(text, sender, now);
}
