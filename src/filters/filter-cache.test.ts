import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isChecked, knownLiteral, knownStarts } from './checked.js';
import { compileFilter, ruleLiteralText, ruleStarts } from './compile.js';
import { fastPathOf } from './fast/index.js';
import { cachedDef, readFilterCache, writeFilterCache } from './filter-cache.js';
import { parseFilterText, shippedFiltersDir } from './load.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dd-filter-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cacheFile = path.join(dir, 'filter-cache.json');
const written = writeFilterCache(shippedFiltersDir, cacheFile, parseFilterText, ruleLiteralText, ruleStarts);
const cache = readFilterCache(cacheFile);
const shipped = readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml')).sort();
// The daemon tells a changed filter on reload by this JSON (world.ts): the cached definition must give the same.
const json = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? [...x] : x));

describe('the shipped filters\' cache', () => {
  it('holds every shipped filter', () => {
    expect(written).toBe(shipped.length);
    expect([...cache.keys()]).toEqual(shipped);
  });

  it.each(shipped)('gives %s exactly as parsing it does, checked, and named after where it is loaded from', (f) => {
    const file = path.join(shippedFiltersDir, f);
    const text = readFileSync(file, 'utf8');
    const parsed = parseFilterText(text, file);
    if (!parsed.ok) throw new Error(`Cannot parse ${f}`);
    const def = cachedDef(cache, file, text);
    expect(def).toEqual(parsed.value);
    expect(json(def)).toBe(json(parsed.value));
    expect(def && isChecked(def)).toBe(true);
    expect(cachedDef(cache, path.join(dir, f), text)?.file).toBe(path.join(dir, f));
  });

  it.each(shipped)('knows the literal of every rule of %s, its modes\' too, as compiling works it out', (f) => {
    const file = path.join(shippedFiltersDir, f);
    const def = cachedDef(cache, file, readFileSync(file, 'utf8'));
    if (def === undefined) throw new Error(`${f} is not cached`);
    const rules = [...def.failregex, ...[...def.modes.values()].flatMap((m) => m.failregex)];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(knownLiteral(def, rule), rule).toBe(ruleLiteralText(rule, def.prefilter) ?? null);
  });

  it.each(shipped)('knows the line-start tables of %s, without modes and with all, as compiling works them out', (f) => {
    const file = path.join(shippedFiltersDir, f);
    const def = cachedDef(cache, file, readFileSync(file, 'utf8'));
    const parsed = parseFilterText(readFileSync(file, 'utf8'), file);
    if (def === undefined || !parsed.ok) throw new Error(`${f} is not cached`);
    for (const modes of [[], [...def.modes.keys()]]) {
      const rules = [...def.failregex, ...modes.flatMap((m) => def.modes.get(m)?.failregex ?? [])];
      expect(knownStarts(def, rules)).toEqual(ruleStarts(parsed.value, rules));
      const cached = compileFilter(def, { modes, maxLineLength: 1000 });
      const worked = compileFilter(parsed.value, { modes, maxLineLength: 1000 });
      if (!cached.ok || !worked.ok) throw new Error(`Cannot compile ${f}`);
      expect([cached.value.headless, cached.value.afterHead]).toEqual([worked.value.headless, worked.value.afterHead]);
      expect(fastPathOf(cached.value)).toBe(fastPathOf(worked.value));
    }
    expect(knownStarts(def, ['not one of its rules'])).toBeUndefined();
  });

  it('knows the shipped sshd filter\'s rules, with its mode and without, as the ones its reader was checked against', () => {
    const file = path.join(shippedFiltersDir, 'sshd.yaml');
    const def = cachedDef(cache, file, readFileSync(file, 'utf8'));
    if (def === undefined) throw new Error('sshd.yaml is not cached');
    for (const modes of [[], ['aggressive']]) {
      const rules = [...def.failregex, ...modes.flatMap((m) => def.modes.get(m)?.failregex ?? [])];
      expect(knownStarts(def, rules)?.fast).toBe('sshd');
      const filter = compileFilter(def, { modes, maxLineLength: 1000 });
      if (!filter.ok) throw new Error(filter.error);
      expect(fastPathOf(filter.value)).toBe('sshd');
    }
  });

  it('gives compiling the fast path it holds, without the rules\' fingerprint', () => {
    // The shipped sshd filter in a cache that says no reader was checked against its rules: compiled from that
    // cache, it has none, where compiled from its file it has the sshd reader.
    const own = path.join(dir, 'fast');
    mkdirSync(own);
    const text = readFileSync(path.join(shippedFiltersDir, 'sshd.yaml'), 'utf8');
    writeFileSync(path.join(own, 'sshd.yaml'), text);
    writeFilterCache(own, path.join(own, 'cache.json'), parseFilterText, ruleLiteralText, (d, rules) => ({ ...ruleStarts(d, rules), fast: null }));
    const def = cachedDef(readFilterCache(path.join(own, 'cache.json')), path.join(own, 'sshd.yaml'), text);
    const parsed = parseFilterText(text, path.join(own, 'sshd.yaml'));
    if (def === undefined || !parsed.ok) throw new Error('not cached');
    const fromCache = compileFilter(def, { modes: [], maxLineLength: 1000 });
    const fromFile = compileFilter(parsed.value, { modes: [], maxLineLength: 1000 });
    if (!fromCache.ok || !fromFile.ok) throw new Error('Cannot compile sshd');
    expect(fastPathOf(fromCache.value)).toBeUndefined();
    expect(fastPathOf(fromFile.value)).toBe('sshd');
  });

  it('gives compiling the line-start tables it holds, without working them out again', () => {
    // A cache whose table after the head refuses every start: the compiled filter then has that table.
    const own = path.join(dir, 'starts');
    mkdirSync(own);
    const text = 'prefix: "<SYSLOG>demo: "\nfailregex: ["Bad login from <HOST>$"]\n';
    writeFileSync(path.join(own, 'demo.yaml'), text);
    const none = Buffer.alloc(256).toString('base64');
    writeFilterCache(own, path.join(own, 'cache.json'), parseFilterText, ruleLiteralText, (_d, rules) => ({ rules, headless: null, afterHead: none, fast: null }));
    const def = cachedDef(readFilterCache(path.join(own, 'cache.json')), path.join(own, 'demo.yaml'), text);
    if (def === undefined) throw new Error('not cached');
    const filter = compileFilter(def, { modes: [], maxLineLength: 1000 });
    if (!filter.ok) throw new Error(filter.error);
    expect(filter.value.afterHead?.table.every((x) => x === 0)).toBe(true);
  });

  it('gives compiling the literals it holds, without working them out again', () => {
    // A cache whose literal for a rule is text no line holds: the compiled filter then never tries that rule.
    const own = path.join(dir, 'literal');
    mkdirSync(own);
    const text = 'prefix: "<SYSLOG>demo: "\nfailregex: ["Bad login from <HOST>$"]\n';
    writeFileSync(path.join(own, 'demo.yaml'), text);
    const line = 'Mar  1 00:00:00 web1 demo: Bad login from 192.0.2.7';
    const compile = (literalOf: (rule: string) => string | undefined): boolean => {
      expect(writeFilterCache(own, path.join(own, 'cache.json'), parseFilterText, literalOf, ruleStarts)).toBe(1);
      const def = cachedDef(readFilterCache(path.join(own, 'cache.json')), path.join(own, 'demo.yaml'), text);
      if (def === undefined) throw new Error('not cached');
      const filter = compileFilter(def, { modes: [], maxLineLength: 1000, fastPath: false });
      if (!filter.ok) throw new Error(filter.error);
      return filter.value.match(line) !== undefined;
    };
    expect(compile(ruleLiteralText)).toBe(true);
    expect(compile(() => 'nowhere in the line')).toBe(false);
    expect(compile(() => undefined)).toBe(true);
  });

  it('serves nothing for a file whose text changed, even by one character', () => {
    const file = path.join(shippedFiltersDir, 'sshd.yaml');
    const text = readFileSync(file, 'utf8');
    expect(cachedDef(cache, file, `${text} `)).toBeUndefined();
    expect(cachedDef(cache, file, text.replace('sshd', 'sshe'))).toBeUndefined();
    expect(cachedDef(cache, path.join(shippedFiltersDir, 'other.yaml'), text)).toBeUndefined();
  });

  it('gives a filter with sessions and flags back as parsing it does', () => {
    const own = path.join(dir, 'own');
    mkdirSync(own);
    const text = [
      String.raw`prefix: '<SYSLOG>sshd\[(?<pid>\d{1,10})\]: '`, 'session: { id: pid, max: 3, expire: 5m }', 'prefilter: [sshd]', 'programs: [sshd]', 'failregex:',
      String.raw`  - 'Failed password for .* from <HOST> port \d{1,5} ssh2$'`,
      String.raw`  - { rule: 'Connection from <HOST> port \d{1,5}$', session: nofail }`,
      "ignoreregex: [' from 10\\.']", 'modes: { extra: { description: more, failregex: [" Bad <HOST>$"] } }', ''].join('\n');
    writeFileSync(path.join(own, 'own.yaml'), text);
    const parsed = parseFilterText(text, path.join(own, 'own.yaml'));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.value.session).toBeDefined();
    expect(writeFilterCache(own, path.join(own, 'cache.json'), parseFilterText, ruleLiteralText, ruleStarts)).toBe(1);
    const def = cachedDef(readFilterCache(path.join(own, 'cache.json')), path.join(own, 'own.yaml'), text);
    expect(def).toEqual(parsed.value);
    expect(json(def)).toBe(json(parsed.value));
  });

  it('leaves out a file the parser refuses, so that its errors show where it is loaded', () => {
    const bad = path.join(dir, 'bad');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'bad.yaml'), 'failregex: ["no host"]\n');
    expect(writeFilterCache(bad, path.join(bad, 'cache.json'), parseFilterText, ruleLiteralText, ruleStarts)).toBe(0);
  });

  it('is empty when it is older than the code that wrote it', () => {
    const code = path.join(dir, 'load.js');
    writeFileSync(code, '');
    utimesSync(cacheFile, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect(readFilterCache(cacheFile, code).size).toBe(0);
    utimesSync(cacheFile, new Date(), new Date(Date.now() + 60_000));
    expect(readFilterCache(cacheFile, code).size).toBe(shipped.length);
  });

  it('is empty when the file is missing or not a cache', () => {
    expect(readFilterCache(path.join(dir, 'none.json')).size).toBe(0);
    expect(readFilterCache(path.join(shippedFiltersDir, 'sshd.yaml')).size).toBe(0);
  });
});
