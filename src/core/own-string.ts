/**
 * V8 cuts a substring of 13 or more characters as a view into the string it was cut from, which then lives as
 * long as the view. A log line cut from the chunk it was read in (sources/line-splitter.ts, daemon/router-bytes.ts)
 * is such a view, and so is a regex capture from that line: a user name kept for minutes would keep the whole
 * chunk (up to the read buffer's size) alive. Measured: 200 captured user names kept from lines of 260 KB
 * chunks held 52.6 MB of heap; their copies 0.3 MB.
 */
const VIEW_MIN = 13;

/** `s` as a string of its own, holding no larger string it was cut from: for text kept beyond the line's life. */
export const ownString = (s: string): string => (s.length < VIEW_MIN ? s : (' ' + s).slice(1));
