/**
 * `programWordStart` (program.ts) on a line given as bytes, for the router of a source whose lines reach a
 * jail as bytes (daemon/router.ts): it must never name a place the regex would not. It reads the heads the
 * fast path reads (fast/syslog-head.ts) and then holds them to what PLAIN_HEAD_PATTERN adds: an ISO time with
 * its `T`, and a host that neither starts with `<` or `[` nor ends with `:`. Every other head (journald's
 * `short-full` and `short-unix`, a host with a byte outside printable ASCII) is -1, not sure, and the caller
 * asks the regex on the line's text. program-bytes.test.ts compares both on generated and hostile heads.
 */
import { readSyslogHead, type SyslogHead } from './fast/syslog-head.js';

const head: SyslogHead = {
  monthKey: 0, year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, ms: 0, zoneSign: 0, zoneHours: 0, zoneMinutes: 0,
};

/**
 * Where the program's word starts in the line `b[s, e)` (ASCII, no NUL: as the line splitter's sink offers
 * lines), right after a certain head; or -1 when the bytes do not make the head certain (the caller then asks
 * `programWordStart` on the text, which may still be sure).
 */
export function programWordStartBytes(b: Uint8Array, s: number, e: number): number {
  const at = readSyslogHead(b, s, e, head);
  if (at < 0) return -1;
  // An ISO head: `readSyslogHead` also takes a space for the `T` (Exim's own log), the router's head does not.
  if (head.monthKey === 0 && b[s + 10] !== 84) return -1;
  // The host is `b[host, at - 1)`: one to 255 bytes, none a space, after the space that ends the time.
  const last = at - 2;
  if (b[last] === 58) return -1;
  let host = last;
  while (b[host - 1] !== 32) host--;
  const first = b[host];
  return first === 60 || first === 91 ? -1 : at;
}
