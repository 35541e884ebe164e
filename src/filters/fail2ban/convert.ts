import path from 'node:path';
import { checkPrefix, checkRule } from '../compile.js';
import { parseFilterText } from '../load.js';
import { IniError, readIniWithIncludes } from './ini.js';
import type { IniSections } from './ini.js';
import { InterpolationError, Resolver } from './interpolate.js';
import type { Origin } from './interpolate.js';
import type { SessionFlag } from '../session.js';
import { ConvertError, SESSION_GROUP, translatePart, translateRegex } from './translate.js';

/**
 * `dictdefence filter import`: a fail2ban filter file as a DictDefence filter file.
 *
 * fail2ban matches a line after cutting its date out, and prefixes most rules with `__prefix_line`, which
 * makes the host and the program name optional. The importer puts DictDefence's anchored heads in their
 * place: `<SYSLOG>` and the filter's `_daemon` (now required) where fail2ban wrote `__prefix_line`, and
 * `<DATE>` where fail2ban expected the date (at the start of the line, or in the `[]` it leaves behind).
 * A filter that links lines by a connection id (`<F-MLFID>` in its prefregex) becomes a filter with sessions
 * (docs/filters.md): `<F-NOFAIL>`, `<F-MLFFORGET>` and `<F-MLFGAINED>` become session flags and rules without
 * an address take the session's. Without `<F-MLFID>` such rules are left out and listed. A construct that
 * cannot be converted is an error naming it and the line it is written on.
 */
export interface ImportOptions {
  /** fail2ban's `mode` parameter (`filter = sshd[mode=aggressive]`); the filter's own default otherwise. */
  readonly mode?: string;
  /** Other filter parameters, as a jail would pass them (`logging=syslog`, `publickey=invalid`). */
  readonly params?: ReadonlyMap<string, string>;
  /** Leave out rules that cannot be converted (listed in the output) instead of failing. */
  readonly skipUnconvertible?: boolean;
}

export interface ImportProblem { readonly message: string; readonly file: string; readonly line: number }

export interface Omitted {
  readonly kind: 'failregex' | 'ignoreregex';
  readonly where: string;
  readonly reason: string;
  readonly text: string;
  /** The rule as DictDefence would write it were it a failure rule (prefix included), for diagnostics. */
  readonly probe: readonly string[];
}

export interface ImportResult {
  readonly yaml: string;
  readonly failregex: number;
  readonly omitted: readonly Omitted[];
}

export type ImportOutcome = { readonly ok: true; readonly value: ImportResult } | { readonly ok: false; readonly errors: ImportProblem[] };

/** What replaces fail2ban's definitions (Python regex text, fail2ban tags allowed). */
const OVERRIDES = new Map([
  // A head, then either the host and the program (`_daemon`, required here where fail2ban makes it optional)
  // or nothing: a daemon's own log file ("Jan 29 09:33:58 pop3-login: …") has neither, and in a syslog file
  // a host name is always followed by a program, so another program's line cannot match this way.
  ['__prefix_line', String.raw`<DATE> (?:(?:\S+ )?(?:\[ID \d+ \S+\] )?[\[\(]?<_daemon>(?:\(\S+\))?[\]\)]?(?:\[\d+\])?:? {1,2}(?:\[ID \d+ \S+\] )?)?(?:kernel: ?\[ {0,12}\d{1,12}\.\d{1,9}\]:? )?`],
  // dovecot.conf's (?:: (?:\w+\([^\):]*\) \w+|[^\(]+))* lets each ": reason" be split in 2^n ways.
  ['_bypass_reject_reason', String.raw`(?:: [^(]*(?:\([^):]*\)[^(]*)*)?`],
]);

/**
 * `logtype = rfc5424` (`<38>1 2019-07-08T17:40:16.954-04:00 host sshd 57915 - [sd] message`): the priority and
 * version, the date, then host, program, pid, message id and structured data (`-` or `[…]` groups whose
 * quoted values may hold `]`), each element written once so that matching stays linear.
 */
const RFC5424_OVERRIDES = new Map([
  ['__prefix_line', String.raw`<\d{1,3}>\d{1,2} <DATE> \S+ [\[\(]?<_daemon>(?:\(\S+\))?[\]\)]?:? \d+ \S+ (?:-|(?:\[(?:[^\]"]|"[^"]*")*\])+) `],
]);

const at = (o: Origin | undefined, file: string): string => (o ? `${path.basename(o.file)}:${o.line}` : path.basename(file));

export function importFail2banFilter(file: string, options: ImportOptions = {}): ImportOutcome {
  let sections: IniSections;
  try {
    sections = readIniWithIncludes(file);
  } catch (e) {
    if (e instanceof IniError) return { ok: false, errors: [{ message: e.message, file: e.file, line: e.line }] };
    return { ok: false, errors: [{ message: `Cannot read fail2ban filter: ${(e as Error).message}`, file, line: 0 }] };
  }
  const params = new Map(options.params ?? []);
  if (options.mode !== undefined) params.set('mode', options.mode);
  const logtype = new Resolver(sections, params, OVERRIDES).value('logtype');
  const resolver = new Resolver(sections, params, new Map([...OVERRIDES, ...(logtype === 'rfc5424' ? RFC5424_OVERRIDES : [])]));
  try {
    return convert(file, resolver, options);
  } catch (e) {
    if (e instanceof InterpolationError) {
      return { ok: false, errors: [{ message: e.message, file: e.where?.file ?? file, line: e.where?.line ?? 0 }] };
    }
    if (e instanceof ConvertError) return { ok: false, errors: [{ message: e.message, file, line: 0 }] };
    throw e;
  }
}

/**
 * Where fail2ban's date goes: into the `[]` it leaves behind, else in front of the line. fail2ban cuts the
 * date out before matching, so it is never part of the connection id (`<F-MLFID>`): it goes in front of it.
 */
function withDate(python: string): string {
  const body = python.replace(/^\^/, '').replace(/^(<F-MLFID>)(<DATE> \??)/, '$2$1');
  if (body.includes('\\[\\]')) return body.split('\\[\\]').join('\\[<DATE>\\]');
  // The head has its own date, after what comes before it (rfc5424's priority).
  if (/^(?:<F-[A-Za-z0-9_-]+>|\(\?:)*(?:<\\d\{1,3\}>\\d\{1,2\} )?<(?:SYSLOG|DATE)>/.test(body)) return body;
  return `<DATE> ?${body}`;
}

const OPTIONAL_PID = String.raw`(?:\[\d+\])?`;

/**
 * fail2ban's connection id (`<F-MLFID>`) is the host, the program and its pid. A line without a pid (`[sshd]
 * User root from …`) would share its session with every other pid-less line of the program, and a failure
 * without an address could take the address of another connection: only an id with a pid links lines here.
 * The head's optional pid (`__prefix_line`, our own text) is required inside the id, and a line without one
 * matches the head outside it, alone. A connection id without that pid links no lines.
 */
function withPid(prefix: string): string {
  const m = /<F-MLFID>(.*)<\/F-MLFID>/.exec(prefix);
  if (!m) return prefix;
  const id = m[1]!;
  if (id.split(OPTIONAL_PID).length !== 2) return prefix.replace(/<\/?F-MLFID>/g, '');
  return prefix.replace(m[0], `(?:<F-MLFID>${id.replace(OPTIONAL_PID, String.raw`\[\d+\]`)}</F-MLFID>|${id})`);
}

function convert(file: string, resolver: Resolver, options: ImportOptions): ImportOutcome {
  const errors: ImportProblem[] = [];
  const omitted: Omitted[] = [];
  const notes: string[] = [];
  const mode = resolver.value('mode');
  const maxlines = Number(resolver.value('maxlines') ?? '1');

  // prefregex: the part before <F-CONTENT> is every rule's prefix; each failregex matches the content.
  const pref = resolver.lines('prefregex')[0];
  let prefixPy = '';
  let searchAnywhere = false;
  if (pref) {
    const m = /^(.*)<F-CONTENT>.*<\/F-CONTENT>(.*)$/.exec(pref.text);
    if (!m) return { ok: false, errors: [{ message: 'prefregex without <F-CONTENT>…</F-CONTENT>', file: pref.origin?.file ?? file, line: pref.origin?.line ?? 0 }] };
    prefixPy = withPid(withDate(m[1]!));
  }
  let prefix = '';
  let prefixInRules = '';
  let sessions = false;
  if (pref) {
    const part = translatePart(prefixPy, notes);
    // DictDefence's prefix may not hold the address (Apache's prefregex does): then it goes into each rule.
    if (part.hosts === 0) prefix = part.source; else prefixInRules = prefixPy;
    sessions = part.hosts === 0 && part.session;
  }

  const rules = (kind: 'failregex' | 'ignoreregex'): Rule[] => {
    const out: Rule[] = [];
    for (const line of resolver.lines(kind)) {
      const where = at(line.origin, file);
      let python = line.text;
      if (pref) {
        // fail2ban searches the content: a rule without ^ may start anywhere in it.
        python = python.startsWith('^') ? python.slice(1) : `.*?${python}`;
        searchAnywhere ||= !line.text.startsWith('^');
        if (prefixInRules) python = `${prefixInRules}(?:${python})`;
      } else {
        python = withDate(python.startsWith('^') ? python : `.*?${python}`);
      }
      try {
        const t = translateRegex(python, { requireHost: kind === 'failregex', sessions: sessions && kind === 'failregex' });
        if (t.kind === 'skip') {
          omitted.push({ kind, where, reason: t.reason, text: line.text, probe: t.probe.map((p) => `(?:${prefix})${p}`) });
          continue;
        }
        notes.push(...t.notes.map((n) => `${where}: ${n}`));
        t.rules.forEach((rule, i) => {
          const flags = t.flags[i] ?? [];
          const hostOptional = sessions && !flags.includes('nofail') && !flags.includes('gained');
          const problem = checkRule(prefix, rule, kind, hostOptional);
          if (problem) throw new ConvertError(problem);
          out.push({ text: rule, where, flags });
        });
      } catch (e) {
        if (!(e instanceof ConvertError)) throw e;
        if (options.skipUnconvertible) omitted.push({ kind, where, reason: `cannot convert: ${e.message}`, text: line.text, probe: [] });
        else errors.push({ message: `Cannot convert ${kind} ${JSON.stringify(line.text.length > 120 ? `${line.text.slice(0, 117)}...` : line.text)}: ${e.message}`, file: line.origin?.file ?? file, line: line.origin?.line ?? 0 });
      }
    }
    return out;
  };
  const prefixProblem = prefix ? checkPrefix(prefix) : undefined;
  if (prefixProblem) errors.push({ message: `Cannot convert prefregex: ${prefixProblem}`, file: pref?.origin?.file ?? file, line: pref?.origin?.line ?? 0 });
  const failregex = rules('failregex');
  const ignoreregex = rules('ignoreregex');
  if (errors.length > 0) return { ok: false, errors };
  if (failregex.length === 0) {
    return { ok: false, errors: [{ message: `No failregex left to convert (${omitted.length} left out: ${omitted.map((o) => o.reason).join('; ')})`, file, line: 0 }] };
  }

  const daemon = resolver.value('_daemon');
  const prefilter = daemon !== undefined && /^[A-Za-z0-9_.-]{3,}$/.test(daemon) && prefix.includes(daemon) ? daemon : undefined;
  const yaml = emit({ file, mode, maxlines, searchAnywhere, prefix, prefilter, sessions, failregex, ignoreregex, omitted, notes: [...new Set(notes)] });
  // The loader is the final judge: a converted file that it refuses is a bug here, not a user error.
  const loaded = parseFilterText(yaml, `${path.basename(file, '.conf')}.yaml`);
  if (!loaded.ok) throw new Error(`Converted filter does not load: ${loaded.errors.map((e) => e.message).join('; ')}`);
  return { ok: true, value: { yaml, failregex: failregex.length, omitted } };
}

const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

interface Rule { readonly text: string; readonly where: string; readonly flags: readonly SessionFlag[] }

interface Emit {
  file: string; mode: string | undefined; maxlines: number; searchAnywhere: boolean; prefix: string; prefilter: string | undefined;
  sessions: boolean; failregex: Rule[]; ignoreregex: Rule[]; omitted: Omitted[]; notes: string[];
}

function emit(e: Emit): string {
  const name = path.basename(e.file);
  const lines = [
    `# Converted from fail2ban's ${e.file}${e.mode ? ` (mode ${e.mode})` : ''} by "dictdefence filter import".`,
    '# fail2ban matches lines with the date cut out and makes the host and program optional; here <SYSLOG>',
    '# (time, host, program[pid]) or <DATE> take their place, and the program is required. <HOST> matches',
    '# addresses only, never host names. Check the result: dictdefence test --filter NAME LOG --show-missed',
  ];
  if (e.maxlines > 1) lines.push(`# fail2ban reads ${e.maxlines} lines at a time for this filter; DictDefence matches each line alone.`);
  if (e.searchAnywhere) lines.push('# Some rules had no ^ and are searched anywhere in the line (.*? in front), as fail2ban does.');
  if (e.notes.length > 0) {
    lines.push('# Changed to keep matching linear:');
    for (const n of e.notes) lines.push(`#   ${n}`);
  }
  if (e.omitted.length > 0) {
    lines.push('# Left out:');
    for (const o of e.omitted) lines.push(`#   ${o.kind} at ${o.where}: ${o.reason}`);
  }
  lines.push(`description: ${q(`Imported from fail2ban ${name}${e.mode ? ` (mode ${e.mode})` : ''}`)}`);
  if (e.prefix) lines.push(`prefix: ${q(e.prefix)}`);
  if (e.prefilter) lines.push(`prefilter: ${q(e.prefilter)}`);
  if (e.sessions) {
    lines.push(
      '# fail2ban links the lines of one connection by its head (<F-MLFID>): so do these sessions.',
      `session:\n  id: ${SESSION_GROUP}`,
    );
  }
  const list = (key: string, rules: Rule[]): void => {
    if (rules.length === 0) return;
    lines.push(`${key}:`);
    for (const r of rules) {
      lines.push(`  # ${r.where}`);
      if (r.flags.length === 0) lines.push(`  - ${q(r.text)}`);
      else lines.push(`  - rule: ${q(r.text)}`, `    session: [${r.flags.join(', ')}]`);
    }
  };
  list('failregex', e.failregex);
  list('ignoreregex', e.ignoreregex);
  return `${lines.join('\n')}\n`;
}
