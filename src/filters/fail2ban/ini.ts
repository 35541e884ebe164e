import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * fail2ban's configuration files as its reader (Python's configparser with fail2ban's include extension)
 * sees them: `[section]` headers, `key = value` (or `key: value`) with keys lower-cased, values continued on
 * more-indented lines, `#` and `;` comment lines skipped even inside a continued value, and `;` after a
 * space starting an inline comment. `[INCLUDES] before = …` and `after = …` name files relative to the
 * including file; `NAME.local` beside `NAME.conf` is read after it, as fail2ban does.
 */
export interface IniValue {
  readonly value: string;
  readonly file: string;
  /** The line of the key; `lines[i]` is the line of the i-th line of the value. */
  readonly line: number;
  readonly lines: readonly number[];
}

export type IniSection = Map<string, IniValue>;
export type IniSections = Map<string, IniSection>;

export class IniError extends Error {
  constructor(message: string, readonly file: string, readonly line: number) {
    super(message);
  }
}

export function parseIni(text: string, file: string): IniSections {
  const sections: IniSections = new Map();
  let section: IniSection | undefined;
  let current: { key: string; indent: number; parts: string[]; lines: number[]; line: number } | undefined;
  const flush = (): void => {
    if (!current || !section) return;
    while (current.parts.length > 1 && current.parts[current.parts.length - 1] === '') {
      current.parts.pop();
      current.lines.pop();
    }
    section.set(current.key, { value: current.parts.join('\n'), file, line: current.line, lines: current.lines });
    current = undefined;
  };
  text.split('\n').forEach((raw, i) => {
    const n = i + 1;
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const value = stripInlineComment(line);
    const indent = line.length - line.trimStart().length;
    if (value.trim() === '') {
      if (current) { current.parts.push(''); current.lines.push(n); }
      return;
    }
    if (current && indent > current.indent) {
      current.parts.push(value.trim());
      current.lines.push(n);
      return;
    }
    flush();
    const header = /^\[([^\]]+)\]\s*$/.exec(value.trim());
    if (header && indent === 0) {
      const name = header[1]!;
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s?(.*)$/.exec(value.trim());
    if (!kv) throw new IniError(`Cannot read line: expected "key = value" or "[section]", got ${JSON.stringify(trimmed)}`, file, n);
    if (!section) throw new IniError('An option before the first [section]', file, n);
    current = { key: kv[1]!.trim().toLowerCase(), indent, parts: [kv[2]!.trim()], lines: [n], line: n };
  });
  flush();
  return sections;
}

/** configparser's inline_comment_prefixes = ";": a `;` after whitespace ends the value. */
function stripInlineComment(line: string): string {
  const m = /\s;/.exec(line);
  return m ? line.slice(0, m.index) : line;
}

/**
 * Reads `file` and its includes into one set of sections, in fail2ban's order: the `before` files (and
 * theirs), the file, its `.local`, then the `after` files. A later file overrides an option of an earlier
 * one; the overridden value stays reachable as `known/KEY` in the same section, as fail2ban allows.
 * Missing `after`/`.local` files are skipped (fail2ban names `common.local` whether or not it exists); a
 * missing `before` file is an error, since the filter would not work without it either.
 */
export function readIniWithIncludes(file: string): IniSections {
  const merged: IniSections = new Map();
  const files: string[] = [];
  collect(path.resolve(file), [], files, true);
  for (const f of files) {
    for (const [name, section] of parseIni(readFileSync(f, 'utf8'), f)) {
      const target = merged.get(name) ?? new Map<string, IniValue>();
      for (const [key, value] of section) {
        const old = target.get(key);
        if (old && !key.startsWith('known/')) target.set(`known/${key}`, old);
        target.set(key, value);
      }
      merged.set(name, target);
    }
  }
  return merged;
}

function collect(file: string, seen: readonly string[], out: string[], required: boolean): void {
  if (seen.includes(file) || out.includes(file)) return;
  if (!existsSync(file)) {
    if (required) throw new IniError(`Cannot read "${file}": no such file`, seen[seen.length - 1] ?? file, 0);
    return;
  }
  const own = parseIni(readFileSync(file, 'utf8'), file).get('INCLUDES');
  const names = (key: string): string[] =>
    (own?.get(key)?.value ?? '').split('\n').map((s) => s.trim()).filter((s) => s !== '')
      .map((s) => (path.isAbsolute(s) ? s : path.join(path.dirname(file), s)));
  for (const before of names('before')) collect(before, [...seen, file], out, true);
  out.push(file);
  if (file.endsWith('.conf')) collect(`${file.slice(0, -5)}.local`, [...seen, file], out, false);
  for (const after of names('after')) collect(after, [...seen, file], out, false);
}
