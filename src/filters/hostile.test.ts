import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCidrSet, parseCidr } from '../core/cidr.js';
import type { Cidr } from '../core/cidr.js';
import { compileFilter } from './compile.js';
import { loadFilterFile, parseSamples, shippedFiltersDir } from './load.js';

// One test for every shipped filter: testdata/hostile/NAME.hostile holds lines in which an attacker put a
// bystander's address into the parts of the line it controls. The filter runs with every mode enabled (the
// widest set of rules an administrator can choose) and must yield the attacker's address or nothing.
const hostileDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../testdata/hostile');
const filterNames = readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
const bystanders = createCidrSet(['192.0.2.0/24', '2001:db8:b::/48'].map((c) => parseCidr(c) as Cidr));

describe('hostile input', () => {
  it.each(filterNames)('%s has a hostile-lines file with lines that must match and lines that must not', (name) => {
    const file = path.join(hostileDir, `${name}.hostile`);
    expect(existsSync(file), `${file} is missing`).toBe(true);
    const { samples, errors } = parseSamples(readFileSync(file, 'utf8'));
    expect(errors).toEqual([]);
    expect(samples.some((s) => s.expect !== null)).toBe(true);
    expect(samples.some((s) => s.expect === null)).toBe(true);
  });

  it.each(filterNames)('%s yields the attacker or nothing, never a bystander', (name) => {
    const file = path.join(hostileDir, `${name}.hostile`);
    if (!existsSync(file)) return; // reported by the test above
    const loaded = loadFilterFile(path.join(shippedFiltersDir, `${name}.yaml`));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const compiled = compileFilter(loaded.value, { modes: [...loaded.value.modes.keys()], maxLineLength: 8192 });
    if (!compiled.ok) throw new Error(compiled.error);
    const failures: string[] = [];
    for (const sample of parseSamples(readFileSync(file, 'utf8')).samples) {
      const got = compiled.value.match(sample.text);
      const where = `${name}.hostile:${sample.line}`;
      if (got && bystanders.has(got.address)) failures.push(`${where}: yielded the bystander ${got.address}`);
      else if (sample.expect !== null && bystanders.has(sample.expect as never)) failures.push(`${where}: the annotation names a bystander`);
      else if ((got?.address ?? null) !== sample.expect) failures.push(`${where}: expected ${sample.expect ?? 'no match'}, got ${got?.address ?? 'no match'}`);
    }
    expect(failures).toEqual([]);
  });
});
