/**
 * Searching a decoded window for a filter's prefilter text (router-bytes.ts): `String#indexOf` on a one-byte
 * string steps through it at ~3 GB/s for a text like pam-generic's `authentication failure; `, whose letters
 * are everywhere in a log, while it seeks a single character at memchr's speed. So a text holding a character
 * that log lines seldom hold is sought by that character, and each place it occurs is checked for the whole
 * text: the bench's mixed corpus, pam-generic's text in every 64 KiB window of it, 39 → 5.5 ms. A text of
 * common characters only (`sshd`) is sought whole: by its `d` it took 71 ms against 57.
 */

/** Characters too common in log lines to seek a text by: letters, digits, space and everyday punctuation. */
const COMMON = /[A-Za-z0-9 :.\-_/[\]()=,'"]/;

/** Where in `literal` its search starts: the place of its first uncommon character, or -1 to seek it whole. */
export function anchorOf(literal: string): number {
  for (let i = 0; i < literal.length; i++) if (!COMMON.test(literal[i]!)) return i;
  return -1;
}

/**
 * `text.indexOf(literal, from)`, given `anchor = anchorOf(literal)`: the first place at or after `from` where
 * `literal` starts, or -1.
 */
export function findLiteral(text: string, literal: string, anchor: number, from: number): number {
  if (anchor < 0) return text.indexOf(literal, from);
  const unit = literal[anchor]!;
  for (let p = text.indexOf(unit, from + anchor); p !== -1; p = text.indexOf(unit, p + 1)) {
    if (text.startsWith(literal, p - anchor)) return p - anchor;
  }
  return -1;
}
