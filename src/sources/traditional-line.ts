/**
 * The line a syslog daemon writes to a file (rsyslog's RSYSLOG_TraditionalFileFormat, journalctl's `short`):
 * `Mmm dd hh:mm:ss HOST PROGRAM[PID]: MESSAGE`. The syslog and journal sources turn what they receive into
 * this text, so one filter matches a service however its log reaches us.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `Nov  5 16:55:59` in local time, day padded with a space as syslog does. */
export function bsdTime(ms: number): string {
  const d = new Date(ms);
  const day = d.getDate();
  return `${MONTHS[d.getMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROLS = /[\u0000-\u001f\u007f]/g;

/**
 * rsyslog's escaping of control characters on receipt (`#012` for a newline, `#011` for a tab): one message
 * stays one line, so a newline inside it cannot forge a second log line, and filters see what rsyslog would
 * have written.
 */
export function escapeControl(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROLS, (c) => `#${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export interface TraditionalParts {
  /** Milliseconds since the epoch, or the head text as the sender wrote it (`Nov 25 16:55:59`). */
  readonly time: number | string;
  readonly host: string;
  /** Program name; without one the message follows the host directly. */
  readonly program?: string | undefined;
  readonly pid?: string | undefined;
  readonly message: string;
}

export function traditionalLine(p: TraditionalParts): string {
  const head = `${typeof p.time === 'number' ? bsdTime(p.time) : p.time} ${p.host || '-'}`;
  const tag = p.program ? `${p.program}${p.pid ? `[${p.pid}]` : ''}: ` : '';
  return escapeControl(`${head} ${tag}${p.message}`);
}
