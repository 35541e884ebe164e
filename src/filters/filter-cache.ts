import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { markChecked, withKnownLiterals, withKnownStarts, type KnownStarts } from './checked.js';
import type { FilterDef, FilterModeDef } from './load.js';

/**
 * The shipped filters, parsed and checked at build time (`npm run build` writes dist/filter-cache.json), so
 * that a run does not load the YAML parser nor run the regex analysis for them: ~50 ms of a short
 * `dictdefence test` or of a daemon's start. An entry holds the file's whole text and serves only a file whose
 * text is still exactly that; any edit, or any file elsewhere, is parsed and checked as usual. It also holds
 * each rule's required literal (checked.ts, `knownLiteral`), another ~30 ms of a start with every filter, and
 * its line-start tables (checked.ts, `knownStarts`) for its rules without modes and with all of them.
 */
interface Entry {
  readonly text: string;
  readonly def: Stored;
  /** Every failregex of the definition (its modes' too) with its literal, `null` for none. */
  readonly literals: readonly (readonly [string, string | null])[];
  /** The line-start tables for the failregex alone and for the failregex and every mode's (the same when it has none). */
  readonly starts: readonly KnownStarts[];
}
/** A FilterDef as JSON: no name or file (those come from where it is loaded), Maps as entry lists. */
interface Stored {
  readonly description: string;
  readonly prefix: string;
  readonly prefilter: readonly string[] | null;
  readonly failregex: readonly string[];
  readonly ignoreregex: readonly string[];
  readonly modes: readonly (readonly [string, FilterModeDef])[];
  readonly lines: readonly (readonly [string, number])[] | null;
  readonly programs: readonly string[] | null;
  readonly session: FilterDef['session'] | null;
  readonly flags: FilterDef['flags'] | null;
}
export type FilterCache = ReadonlyMap<string, Entry>;
/** 2: with the rules' literals; 3: with the line-start tables; 4: with the fast path checked against the rules. */
const VERSION = 4;

const store = (d: FilterDef): Stored => ({
  description: d.description, prefix: d.prefix, prefilter: d.prefilter ?? null, failregex: d.failregex,
  ignoreregex: d.ignoreregex, modes: [...d.modes], lines: d.lines ? [...d.lines] : null, programs: d.programs ?? null, session: d.session ?? null,
  flags: d.flags ?? null,
});

/** The definition as `parseFilterText` returns it, key for key (the daemon compares definitions by their JSON). */
function restore(s: Stored, file: string): FilterDef {
  const name = path.basename(file).replace(/\.ya?ml$/, '');
  const base: FilterDef = {
    name, file, description: s.description, prefix: s.prefix, prefilter: s.prefilter ?? undefined, failregex: s.failregex,
    ignoreregex: s.ignoreregex, modes: new Map(s.modes), ...(s.lines ? { lines: new Map(s.lines) } : {}),
  };
  const def = s.programs ? { ...base, programs: s.programs } : base;
  return s.session ? { ...def, session: s.session, flags: s.flags ?? {} } : def;
}

/** Every failregex of `def`, its modes' too, once each. */
const allRules = (def: FilterDef): string[] => [...new Set([...def.failregex, ...[...def.modes.values()].flatMap((m) => m.failregex)])];

/**
 * Writes the cache of every `*.yaml` in `dir` that `parse` accepts (the build calls it with the real parser
 * and compile.ts's `ruleLiteralText`; a file the parser refuses is left out, so that its errors show at run
 * time, with file and line).
 */
export function writeFilterCache(
  dir: string, out: string, parse: (text: string, file: string) => { ok: boolean; value?: FilterDef },
  literalOf: (rule: string, prefilter: readonly string[] | undefined) => string | undefined, startsOf: (def: FilterDef, rules: readonly string[]) => KnownStarts,
): number {
  const entries: [string, Entry][] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    const r = parse(text, path.join(dir, f));
    if (!r.ok || !r.value) continue;
    const def = r.value;
    const literals = allRules(def).map((rule) => [rule, literalOf(rule, def.prefilter) ?? null] as const);
    const withModes = [...def.failregex, ...[...def.modes.values()].flatMap((m) => m.failregex)];
    const starts = [startsOf(def, def.failregex), ...(def.modes.size === 0 ? [] : [startsOf(def, withModes)])];
    entries.push([f, { text, def: store(def), literals, starts }]);
  }
  writeFileSync(out, `${JSON.stringify({ version: VERSION, entries })}\n`);
  return entries.length;
}

/**
 * The cache at `file`; empty when there is none (a run from the sources), it is unreadable, or it is older than
 * `builtFrom` (the compiled parser: a build that ran tsc without writing the cache must not get answers of the
 * code before).
 */
export function readFilterCache(file: string, builtFrom?: string): FilterCache {
  try {
    if (builtFrom !== undefined && statSync(file).mtimeMs < statSync(builtFrom).mtimeMs) return new Map();
    const json = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; entries?: [string, Entry][] };
    return new Map(json.version === VERSION && Array.isArray(json.entries) ? json.entries : []);
  } catch {
    return new Map();
  }
}

/** The cached definition of `file` (in the cached folder) when its text is still `text`; checked already. */
export function cachedDef(cache: FilterCache, file: string, text: string): FilterDef | undefined {
  const entry = cache.get(path.basename(file));
  if (entry === undefined || entry.text !== text) return undefined;
  return withKnownStarts(withKnownLiterals(markChecked(restore(entry.def, file)), new Map(entry.literals)), entry.starts);
}
