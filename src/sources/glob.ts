/**
 * File-name globs for the file source: `*` (any run of characters), `?` (one character), `[abc]`, `[a-z]`
 * and `[!abc]`. Wildcards are allowed in the last path component only, so one directory is watched and
 * listed; a leading wildcard does not match a hidden name, as in the shell.
 */

export const hasWildcard = (text: string): boolean => /[*?[]/.test(text);

/**
 * Compressed rotations (`error.log.2.gz`) are binary: a glob such as `*.log*` would otherwise read them as
 * new files full of garbage.
 */
const COMPRESSED = /\.(?:gz|bz2|xz|zst|lz4|lzma|Z|zip)$/;

/** A matcher for one glob, or an error naming what is wrong with it. */
export function compileGlob(pattern: string): { ok: true; match: (name: string) => boolean } | { ok: false; error: string } {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) return { ok: false, error: `unclosed "[" in "${pattern}"` };
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      // Inside a class only "\" and "]" (excluded by construction) and "^" at the start are special.
      source += `[${negate ? '^' : ''}${body.replace(/[\\^]/g, '\\$&')}]`;
      i = end;
    } else source += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  let re: RegExp;
  try {
    re = new RegExp(`^${source}$`);
  } catch (e) {
    return { ok: false, error: `invalid glob "${pattern}": ${e instanceof Error ? e.message : String(e)}` };
  }
  const hiddenOk = pattern.startsWith('.');
  return { ok: true, match: (name) => (hiddenOk || !name.startsWith('.')) && re.test(name) && !COMPRESSED.test(name) };
}
