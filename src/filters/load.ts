import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Node } from 'yaml';
import { yaml } from './yaml-lazy.js';
import type { ConfigError } from '../config/types.js';
import { parseDuration } from '../core/duration.js';
import { err, ok } from '../core/types.js';
import type { Result } from '../core/types.js';
import { markChecked } from './checked.js';
import { cachedDef, readFilterCache, type FilterCache } from './filter-cache.js';
import { checkPrefix, checkRule } from './compile.js';
import { validator } from './load-yaml.js';
import type { Entry, Item, Report } from './load-yaml.js';
import { PROGRAM_NAME } from './program.js';
import { SESSION_DEFAULTS, SESSION_FLAGS } from './session.js';
import type { SessionDef, SessionFlag } from './session.js';

/** A group of extra rules a jail may enable by name (`modes: [aggressive]`). */
export interface FilterModeDef {
  readonly description: string;
  readonly failregex: readonly string[];
}

/**
 * A filter file as written, validated but not compiled: every regex is known to compile and every failregex
 * to hold `<HOST>` exactly once. {@link compileFilter} turns it into a {@link Filter}.
 */
export interface FilterDef {
  /** The file's base name without `.yaml`: what a jail's `filter:` names. */
  readonly name: string;
  readonly file: string;
  readonly description: string;
  /** Regex source put in front of every rule (failregex and ignoreregex); `''` when the file has none. */
  readonly prefix: string;
  /**
   * Literals of which every failure line contains at least one (a single string in the file is a list of one);
   * lines with none of them skip the regexes.
   */
  readonly prefilter: readonly string[] | undefined;
  /**
   * A promise like `prefilter`: every line the filter can match that starts with a certain syslog head
   * (filters/program.ts) was written by one of these programs, judged by the name's first word. The daemon
   * then offers such lines only to the filter whose programs include their writer's; `undefined`: every line.
   */
  readonly programs?: readonly string[];
  readonly failregex: readonly string[];
  readonly ignoreregex: readonly string[];
  /** In file order, which is also the order their rules are tried in. */
  readonly modes: ReadonlyMap<string, FilterModeDef>;
  /** The line of each rule by its key (`failregex[2]`, `modes.aggressive.failregex[0]`), for error messages and `why`. */
  readonly lines?: ReadonlyMap<string, number>;
  /** Present when the filter links the lines of one session (`session:`); see session.ts. */
  readonly session?: SessionDef;
  /**
   * The session flags of each rule that has them, by its key (`failregex[2]`); only with `session`. A plain
   * object, not a Map: the daemon tells a changed filter on reload by the definition's JSON.
   */
  readonly flags?: Readonly<Record<string, readonly SessionFlag[]>>;
}

export type LoadResult =
  | { readonly ok: true; readonly value: FilterDef }
  | { readonly ok: false; readonly errors: ConfigError[] };

/** The filters shipped with DictDefence: `filters/` at the package root (the same from `src/` and `dist/`). */
export const shippedFiltersDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../filters');

const NAME = /^[a-z0-9][a-z0-9_-]*$/i;
/** `normal` is what a jail gets with no mode enabled, so no file may define a mode under that name. */
const MODE_NAME = /^[a-z][a-z0-9_-]*$/;
const TOP_KEYS = new Set(['description', 'prefix', 'prefilter', 'programs', 'session', 'failregex', 'ignoreregex', 'modes']);
const MODE_KEYS = new Set(['description', 'failregex']);
const SESSION_KEYS = new Set(['id', 'max', 'expire']);
/** A failregex written as a mapping: the rule and its session flags. */
const RULE_KEYS = new Set(['rule', 'session']);
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The path of `NAME.yaml` in the first of `dirs` that has one. The name is checked first, so a jail cannot
 * reach outside the filter folders (`../../etc/x`) or pick a hidden file.
 */
export function findFilter(name: string, dirs: readonly string[]): Result<string> {
  if (!NAME.test(name)) return err(`Cannot find filter "${name}": a filter name is letters, digits, "_" and "-"`);
  for (const dir of dirs) {
    const file = path.join(dir, `${name}.yaml`);
    if (statSync(file, { throwIfNoEntry: false })?.isFile()) return ok(file);
  }
  const where = dirs.map((d) => `"${d}"`).join(', ') || 'any folder';
  return err(`Cannot find filter "${name}": no ${name}.yaml in ${where}`);
}

/** Reads and validates one filter file; every problem found is reported, each with file, line and key. */
export function loadFilterFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const message = `Cannot read filter file: ${e instanceof Error ? e.message : String(e)}`;
    return { ok: false, errors: [{ file, line: 0, key: '', message }] };
  }
  if (path.dirname(path.resolve(file)) === shippedFiltersDir) {
    shippedCache ??= readFilterCache(shippedCacheFile, fileURLToPath(import.meta.url));
    const def = cachedDef(shippedCache, file, text);
    if (def !== undefined) return { ok: true, value: def };
  }
  return parseFilterText(text, file);
}

/** Written by `npm run build` beside the compiled code (dist/); absent when running from the sources. */
export const shippedCacheFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../filter-cache.json');
let shippedCache: FilterCache | undefined;

/** {@link loadFilterFile} on text already read; `file` names it in errors and gives the filter its name. */
export function parseFilterText(text: string, file: string): LoadResult {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, prettyErrors: false });
  const errors: ConfigError[] = [];
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1;
  const fail: Report = (node, key, message) => {
    errors.push({ file, line: lineOf(node), key, message });
  };

  for (const e of doc.errors) {
    const line = lineCounter.linePos(e.pos[0]).line;
    errors.push({ file, line, key: '', message: `Invalid YAML: ${e.message}` });
  }
  if (errors.length > 0) return { ok: false, errors };

  const root = doc.contents;
  if (!yaml().isMap(root)) {
    fail(root, '', 'A filter file is a mapping with at least the key "failregex"');
    return { ok: false, errors };
  }
  const v = validator(doc, fail);
  const top = v.entries(root, '', TOP_KEYS);

  const description = v.string(top.get('description'), 'description') ?? '';
  const prefixEntry = top.get('prefix');
  let prefix = v.string(prefixEntry, 'prefix') ?? '';
  if (prefixEntry) {
    const problem = checkPrefix(prefix);
    if (problem) {
      fail(prefixEntry.value, 'prefix', problem);
      prefix = ''; // Check the rules on their own rather than report the prefix's error once per rule.
    }
  }
  const prefilterEntry = top.get('prefilter');
  let prefilter: string[] | undefined;
  if (yaml().isSeq(prefilterEntry?.value)) {
    prefilter = (v.strings(prefilterEntry, 'prefilter') ?? []).map((i) => i.text);
  } else {
    const one = v.string(prefilterEntry, 'prefilter');
    if (one !== undefined) prefilter = [one];
  }
  if (prefilter !== undefined && (prefilter.length === 0 || prefilter.includes(''))) {
    fail(prefilterEntry?.value, 'prefilter', 'Expected a non-empty string or a list of them (or no "prefilter")');
  }

  const programsEntry = top.get('programs');
  const programs = v.strings(programsEntry, 'programs');
  if (programsEntry !== undefined && programs?.length === 0) {
    fail(programsEntry.value, 'programs', 'Expected at least one program name (or no "programs")');
  }
  for (const p of programs ?? []) {
    if (!PROGRAM_NAME.test(p.text)) {
      fail(p.node, `programs[${p.index}]`, `Invalid program name "${p.text}": a letter, digit or "_" first, then no space, ":", "[" or "]", 64 characters at most`);
    }
  }
  const session = sessionDef(top.get('session'), prefix, v, fail);
  const lines = new Map<string, number>();
  const flags: Record<string, readonly SessionFlag[]> = {};
  const rules = (entry: Entry | undefined, key: string, kind: 'failregex' | 'ignoreregex'): string[] => {
    const list = v.strings(entry, key, kind === 'failregex');
    if (kind === 'failregex' && yaml().isSeq(entry?.value) && entry.value.items.length === 0) {
      fail(entry.value, key, 'Expected at least one rule');
    }
    const out: string[] = [];
    for (const item of list ?? []) {
      const where = `${key}[${item.index}]`;
      const { text, flagged } = item.map ? ruleItem(item, where) : { text: item.text, flagged: [] };
      if (flagged.length > 0) {
        if (session) flags[where] = flagged;
        else fail(item.node, where, 'Session flags need the filter\'s "session" key (the id that links a session\'s lines)');
      }
      // A session's failure rule may leave the address to the session; a nofail or gained rule exists to name it.
      const hostOptional = session !== undefined && !flagged.includes('nofail') && !flagged.includes('gained');
      const problem = checkRule(prefix, text, kind, hostOptional);
      if (problem) fail(item.node, where, problem);
      lines.set(where, lineOf(item.node));
      out.push(text);
    }
    return out;
  };
  const ruleItem = (item: Item, where: string): { text: string; flagged: SessionFlag[] } => {
    const entries = v.entries(item.map!, where, RULE_KEYS);
    const ruleEntry = entries.get('rule');
    if (!ruleEntry) fail(item.node, where, 'Missing key "rule" in a rule written as a mapping');
    const text = v.string(ruleEntry, `${where}.rule`) ?? '';
    const flagEntry = entries.get('session');
    const raw = flagEntry && yaml().isScalar(flagEntry.value) ? [{ text: v.string(flagEntry, `${where}.session`) ?? '', node: flagEntry.value }]
      : (v.strings(flagEntry, `${where}.session`) ?? []);
    const flagged: SessionFlag[] = [];
    for (const f of raw) {
      const flag = SESSION_FLAGS.find((known) => known === f.text);
      if (flag) flagged.push(flag);
      else fail(f.node, `${where}.session`, `Unknown session flag "${f.text}" (known: ${SESSION_FLAGS.join(', ')})`);
    }
    return { text, flagged };
  };

  const failEntry = top.get('failregex');
  if (!failEntry) fail(root, '', 'Missing key "failregex": a filter needs at least one rule');
  const failregex = rules(failEntry, 'failregex', 'failregex');
  const ignoreregex = rules(top.get('ignoreregex'), 'ignoreregex', 'ignoreregex');

  const modes = new Map<string, FilterModeDef>();
  const modesEntry = top.get('modes');
  if (modesEntry) {
    const map = v.map(modesEntry, 'modes');
    for (const [name, entry] of map ? v.entries(map, 'modes', undefined) : []) {
      const key = `modes.${name}`;
      if (!MODE_NAME.test(name) || name === 'normal') {
        fail(entry.key, key, `Invalid mode name "${name}": lower-case letters, digits, "_" and "-", and not "normal"`);
        continue;
      }
      const modeMap = v.map(entry, key);
      if (!modeMap) continue;
      const mode = v.entries(modeMap, key, MODE_KEYS);
      const modeFail = mode.get('failregex');
      if (!modeFail) fail(entry.key, key, `Missing key "failregex" in mode "${name}"`);
      modes.set(name, {
        description: v.string(mode.get('description'), `${key}.description`) ?? '',
        failregex: rules(modeFail, `${key}.failregex`, 'failregex'),
      });
    }
  }

  if (errors.length > 0) return { ok: false, errors };
  const name = path.basename(file).replace(/\.ya?ml$/, '');
  const base: FilterDef = { name, file, description, prefix, prefilter, failregex, ignoreregex, modes, lines };
  const value = programs === undefined ? base : { ...base, programs: programs.map((p) => p.text) };
  return { ok: true, value: markChecked(session ? { ...value, session, flags } : value) };
}

/** The `session:` mapping, checked against the prefix that must capture its id. */
function sessionDef(entry: Entry | undefined, prefix: string, v: ReturnType<typeof validator>, fail: Report): SessionDef | undefined {
  if (!entry) return undefined;
  const map = v.map(entry, 'session');
  if (!map) return undefined;
  const keys = v.entries(map, 'session', SESSION_KEYS);
  const idEntry = keys.get('id');
  const id = v.string(idEntry, 'session.id');
  if (!idEntry) fail(entry.key, 'session', 'Missing key "id": the name of the prefix\'s group that identifies a session');
  else if (id !== undefined && (!GROUP_NAME.test(id) || id === 'host' || !prefix.includes(`(?<${id}>`))) {
    // The id must come from the prefix: the head the server or syslog writes, never text a client chose.
    fail(idEntry.value, 'session.id', `The prefix must capture the session id in a group (?<${id}>...) ("host" is taken)`);
  }
  const max = v.integer(keys.get('max'), 'session.max', 1, 1_000_000) ?? SESSION_DEFAULTS.max;
  const expireEntry = keys.get('expire');
  const expireText = v.string(expireEntry, 'session.expire');
  const expire = expireText === undefined ? SESSION_DEFAULTS.expire : parseDuration(expireText);
  if (expire === undefined) fail(expireEntry?.value, 'session.expire', `Invalid duration "${expireText}" (write 90s, 10m, 1h)`);
  return id === undefined ? undefined : { id, max, expire: expire ?? SESSION_DEFAULTS.expire };
}

/** One annotated line of a `NAME.samples` file. */
export interface Sample {
  /** 1-based line number of the sample line itself. */
  readonly line: number;
  readonly text: string;
  /** The address the line must yield, or `null` when it must not match. */
  readonly expect: string | null;
  /** The mode in force (`normal` = none). */
  readonly mode: string;
}

const ANNOTATION = /^#\s*(match|nomatch|mode)\b\s*(.*?)\s*$/;

/**
 * Parses an annotated sample file (fail2ban's idea): `# match ADDRESS` or `# nomatch` applies to the next
 * line, `# mode NAME` to every line after it until the next `# mode`; other `#` lines and blank lines are
 * comments. An annotation not followed by a sample line, or a sample line without an annotation, is an error:
 * an unannotated line would otherwise test nothing while looking tested.
 */
export function parseSamples(text: string): { samples: Sample[]; errors: string[] } {
  const samples: Sample[] = [];
  const errors: string[] = [];
  let mode = 'normal';
  let pending: { expect: string | null; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const n = i + 1;
    const note = ANNOTATION.exec(line);
    if (pending && (line.trim() === '' || line.startsWith('#'))) {
      errors.push(`line ${pending.line}: the annotation is not followed by a sample line`);
      pending = undefined;
    }
    if (note) {
      const [, verb, arg = ''] = note;
      if (verb === 'mode') {
        if (arg === '') errors.push(`line ${n}: "# mode" needs a mode name`);
        else mode = arg;
      } else if (verb === 'match' && arg === '') {
        errors.push(`line ${n}: "# match" needs the address the line must yield`);
      } else {
        pending = { expect: verb === 'match' ? arg : null, line: n };
      }
      return;
    }
    if (line.trim() === '' || line.startsWith('#')) return;
    if (!pending) {
      errors.push(`line ${n}: a sample line without "# match ADDRESS" or "# nomatch" before it`);
      return;
    }
    samples.push({ line: n, text: line, expect: pending.expect, mode });
    pending = undefined;
  });
  if (pending) errors.push(`line ${pending.line}: the annotation is not followed by a sample line`);
  return { samples, errors };
}
