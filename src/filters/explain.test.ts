import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFilter } from './compile.js';
import { describeRule } from './explain.js';
import { loadFilterFile, shippedFiltersDir } from './load.js';

describe('describeRule', () => {
  const loaded = loadFilterFile(path.join(shippedFiltersDir, 'sshd.yaml'));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const compiled = compileFilter(loaded.value, { modes: ['aggressive'], maxLineLength: 8192 });
  if (!compiled.ok) throw new Error(compiled.error);
  const filter = compiled.value;

  it('names the rule a hit matched by its key, file and line, with the text as written and as it runs', () => {
    const m = filter.match('Nov 25 16:55:59 web1 sshd[1]: Connection closed by 203.0.113.1 port 22 [preauth]');
    const d = describeRule(filter, m?.rule);
    expect(d).toMatchObject({ key: 'modes.aggressive.failregex[2]', text: 'Connection (?:closed|reset) by <HOST> port \\d{1,5} \\[preauth\\]$' });
    expect(d?.where).toMatch(/filters\/sshd\.yaml:\d+$/);
    expect(d?.source).toBe(filter.rules[m?.rule ?? -1]);
  });

  it('returns nothing for an index the filter does not have (edited and reloaded since)', () => {
    expect(describeRule(filter, 999)).toBeUndefined();
    expect(describeRule(filter, undefined)).toBeUndefined();
    expect(describeRule(filter, -1)).toBeUndefined();
  });

  it('still gives the running source for a filter wrapped without its rule information', () => {
    const bare = { name: filter.name, rules: filter.rules, counters: filter.counters, match: filter.match };
    expect(describeRule(bare, 0)).toMatchObject({ key: 'failregex[0]', where: undefined, source: filter.rules[0] });
  });
});
