import { parseRegex } from './regex/parse.js';
import type { Node } from './regex/ast.js';
import { startMarker } from './regex/starts.js';
import { HOST_PATTERN } from './host.js';
import { DATE_PATTERN } from './line-time.js';

/**
 * What a line without a syslog head must start with for a filter to match it, read from its rules: servers'
 * own log formats (nginx's `2026/11/25 …`, Apache's `[Wed Nov 25 …]`, an access log's address, vsftpd's
 * `Wed Nov 25 16:55:59 2026 …`) start differently, so a router that sees a line with no syslog head offers it
 * only to the filters it can start (daemon/router.ts), instead of to every filter whose prefix does not
 * require a head. The filter's `<SYSLOG>` cannot match at the start of such a line (that is what having no
 * syslog head means, filters/program.ts `hasSyslogHead`), so it is left out there; anywhere else, and wherever
 * the rules give no certainty, any character passes. (A line that may have a head, Exim's own `2026-11-25
 * 16:55:59 …` among them, still goes to every filter.)
 */
export interface LineStart {
  /** `WIDTH` rows of 256: row `i`, column `c`, is 1 where a line's character `i` may be the unit `c` (255: 255 or above). */
  readonly table: Uint8Array;
}

/** Characters looked at: enough to tell `dddd/dd/dd` from `dddd-dd-dd` and from an IPv4 address, few enough to cost nothing. */
export const START_WIDTH = 8;

const MACROS: ReadonlySet<string> = new Set(['SYSLOG', 'HOST', 'DATE']);
const parse = (source: string): Node => parseRegex(source, { dialect: 'js', macros: MACROS });
let host: Node | undefined, date: Node | undefined;
/** What a macro is where it stands in a line with no syslog head (see the top of this file). */
const resolve = (name: string, at: number): Node | 'never' | 'any' => {
  if (name === 'HOST') return (host ??= parse(HOST_PATTERN));
  if (name === 'DATE') return (date ??= parse(DATE_PATTERN));
  return name === 'SYSLOG' && at === 0 ? 'never' : 'any';
};
/**
 * A numbered or named backreference: read alone, a rule would not have the prefix's groups (nor the macros'),
 * and `\1` with no group 1 is an octal escape to JavaScript. Such a piece is taken as able to hold anything.
 */
const REFERS = /\\(?:[1-9]|k)/;

/**
 * The start of the lines without a syslog head that a filter with this `prefix` (as written, macros and all)
 * and these rules can match. `undefined` when any start can (a piece that does not parse is taken as such).
 */
export function lineStartOf(prefix: string, rules: readonly string[]): LineStart | undefined {
  const table = new Uint8Array(START_WIDTH * 256);
  const m = startMarker(START_WIDTH, table, resolve);
  const piece = (text: string, from: number): number => {
    if (!REFERS.test(text)) return m.walk(parse(text), from);
    m.end(from);
    return 0;
  };
  try {
    const after = prefix === '' ? 1 : piece(prefix, 1);
    // Past the first START_WIDTH characters (bit START_WIDTH) nothing is read: the rules are not parsed then.
    if ((after & ((1 << START_WIDTH) - 1)) !== 0) for (const rule of rules) m.end(piece(rule, after));
  } catch {
    return undefined;
  }
  return table.every((x) => x === 1) ? undefined : { table };
}

/** Whether `text` (a line with no syslog head) starts as `start` allows. */
export function startsAs(start: LineStart, text: string): boolean {
  const t = start.table;
  const n = text.length < START_WIDTH ? text.length : START_WIDTH;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (t[(i << 8) | (c > 255 ? 255 : c)] === 0) return false;
  }
  return true;
}
