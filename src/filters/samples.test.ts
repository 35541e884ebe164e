import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../core/address.js';
import { compileFilter } from './compile.js';
import type { Filter } from './filter.js';
import { loadFilterFile, parseSamples, shippedFiltersDir } from './load.js';
import type { FilterDef } from './load.js';
import { findHazards } from './regex/safety.js';

// One test for every shipped filter: each `filters/NAME.yaml` has `filters/NAME.samples` beside it, and every
// annotation in it must hold. Failures are collected so that one run lists every wrong line.
const filterFiles = readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml')).sort();

function load(file: string): FilterDef {
  const loaded = loadFilterFile(path.join(shippedFiltersDir, file));
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => `${e.file}:${e.line}: ${e.key}: ${e.message}`).join('\n'));
  return loaded.value;
}

function compiled(def: FilterDef, mode: string): Filter {
  const result = compileFilter(def, { modes: mode === 'normal' ? [] : [mode], maxLineLength: 8192 });
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe('shipped filters', () => {
  it('include at least the sshd filter', () => {
    expect(filterFiles).toContain('sshd.yaml');
  });

  describe.each(filterFiles)('%s', (file) => {
    const name = file.replace(/\.yaml$/, '');
    const samplesFile = path.join(shippedFiltersDir, `${name}.samples`);

    it('loads without errors', () => {
      expect(() => load(file)).not.toThrow();
    });

    it('has a samples file with at least one match and one nomatch', () => {
      expect(existsSync(samplesFile), `${samplesFile} is missing`).toBe(true);
      const { samples, errors } = parseSamples(readFileSync(samplesFile, 'utf8'));
      expect(errors).toEqual([]);
      expect(samples.some((s) => s.expect !== null)).toBe(true);
      expect(samples.some((s) => s.expect === null)).toBe(true);
    });

    it('matches every sample line as annotated', () => {
      const def = load(file);
      const { samples } = parseSamples(readFileSync(samplesFile, 'utf8'));
      const filters = new Map<string, Filter>();
      const failures: string[] = [];
      for (const sample of samples) {
        const where = `${name}.samples:${sample.line}`;
        let filter = filters.get(sample.mode);
        if (!filter) {
          try {
            filter = compiled(def, sample.mode);
          } catch (e) {
            failures.push(`${where}: ${e instanceof Error ? e.message : String(e)}`);
            continue;
          }
          filters.set(sample.mode, filter);
        }
        const got = filter.match(sample.text);
        if (sample.expect === null) {
          if (got) failures.push(`${where}: expected no match, got ${got.address} (rule ${got.rule}): ${sample.text}`);
          continue;
        }
        if (parseAddress(sample.expect) !== sample.expect) {
          failures.push(`${where}: the annotation "${sample.expect}" is not a canonical address`);
        } else if (!got) {
          failures.push(`${where}: expected ${sample.expect}, got no match (mode ${sample.mode}): ${sample.text}`);
        } else if (got.address !== sample.expect) {
          failures.push(`${where}: expected ${sample.expect}, got ${got.address} (rule ${got.rule}): ${sample.text}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('passes the strict regex safety check in every rule of every mode', () => {
      // Stricter than the check at load: shipped filters may not even have two unbounded quantifiers that
      // can absorb the text between them (see docs/filters.md, "Regex safety").
      const def = load(file);
      const all = compileFilter(def, { modes: [...def.modes.keys()], maxLineLength: 8192 });
      if (!all.ok) throw new Error(all.error);
      const problems = all.value.rules.flatMap((source, i) =>
        findHazards(source, { strict: true }).map((h) => `${all.value.ruleInfo?.[i]?.key}: ${h.message}`));
      expect(problems).toEqual([]);
    });

    it('exercises every rule of every mode with a sample', () => {
      const def = load(file);
      const { samples } = parseSamples(readFileSync(samplesFile, 'utf8'));
      const modes = [...def.modes.keys()];
      const everything = compileFilter(def, { modes, maxLineLength: 8192 });
      if (!everything.ok) throw new Error(everything.error);
      for (const s of samples) if (s.expect !== null) everything.value.match(s.text);
      // Same order as compileFilter tries them: the filter's own rules, then each mode's in file order.
      const texts = [...def.failregex, ...[...def.modes.values()].flatMap((m) => m.failregex)];
      const unused = texts.filter((_, i) => everything.value.counters.perRule[i] === 0);
      expect(unused).toEqual([]);
    });
  });
});
