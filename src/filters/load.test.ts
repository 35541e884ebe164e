import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatConfigError } from '../config/types.js';
import { findFilter, loadFilterFile, parseFilterText, parseSamples, shippedFiltersDir } from './load.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../testdata/filters');

describe('loadFilterFile', () => {
  it('loads the shipped sshd filter with its prefix, prefilter and aggressive mode', () => {
    const loaded = loadFilterFile(path.join(shippedFiltersDir, 'sshd.yaml'));
    if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('\n'));
    expect(loaded.value).toMatchObject({ name: 'sshd', prefilter: ['sshd'], ignoreregex: [] });
    expect(loaded.value.prefix).toContain('<SYSLOG>');
    expect(loaded.value.failregex.length).toBeGreaterThanOrEqual(10);
    expect([...loaded.value.modes.keys()]).toEqual(['aggressive']);
  });

  describe.each(readdirSync(fixtures).filter((f) => f.endsWith('.yaml')).sort())('the invalid fixture %s', (file) => {
    it('is refused with the error its first line expects, naming the file and a line', () => {
      const text = readFileSync(path.join(fixtures, file), 'utf8');
      const expected = /^# expect: (.+)$/m.exec(text.split('\n')[0] ?? '')?.[1];
      expect(expected, 'the first line must be "# expect: <substring>"').toBeDefined();
      const wantLine = /^# line: (\d+)$/.exec(text.split('\n')[1] ?? '')?.[1];
      const loaded = loadFilterFile(path.join(fixtures, file));
      expect(loaded.ok).toBe(false);
      const messages = loaded.ok ? [] : loaded.errors.map(formatConfigError);
      const hit = messages.find((m) => m.includes(expected ?? '\u0000'));
      expect(hit, `no error contains ${JSON.stringify(expected)}; got ${JSON.stringify(messages)}`).toBeDefined();
      expect(hit).toContain(file);
      const line = Number(/\.yaml:(\d+):/.exec(hit ?? '')?.[1]);
      expect(line).toBeGreaterThanOrEqual(2); // line 1 is the "# expect" comment
      if (wantLine !== undefined) expect(line).toBe(Number(wantLine));
    });
  });

  it('reports every problem of a file at once, each with its line and key', () => {
    const text = [
      'description: several mistakes',
      'failregex:',
      "  - 'ok <HOST>$'",
      "  - 'no host'",
      "  - 'bad ( <HOST>'",
      'ignoreregex: nope',
      'extra: 1',
    ].join('\n');
    const loaded = parseFilterText(text, '/etc/dictdefence/filters/x.yaml');
    expect(loaded.ok ? [] : loaded.errors.map((e) => [e.line, e.key])).toEqual([
      [7, 'extra'], [4, 'failregex[1]'], [5, 'failregex[2]'], [6, 'ignoreregex'],
    ]);
  });

  it('takes a prefilter as one literal or a list of them, and refuses an empty one', () => {
    const one = parseFilterText("prefilter: sshd\nfailregex: ['x <HOST>']", 'f.yaml');
    const many = parseFilterText("prefilter: ['FAIL LOGIN', 'pam_unix(']\nfailregex: ['x <HOST>']", 'f.yaml');
    expect(one.ok && one.value.prefilter).toEqual(['sshd']);
    expect(many.ok && many.value.prefilter).toEqual(['FAIL LOGIN', 'pam_unix(']);
    for (const bad of ["prefilter: ''", 'prefilter: []', "prefilter: ['a', '']"]) {
      const r = parseFilterText(`${bad}\nfailregex: ['x <HOST>']`, 'f.yaml');
      expect(r.ok ? 'loaded' : r.errors[0]?.message).toMatch(/prefilter|Expected a non-empty string/);
    }
  });

  it('includes the JavaScript error text for an invalid regex', () => {
    const loaded = parseFilterText("failregex: ['x (<HOST>']", 'f.yaml');
    expect(loaded.ok ? '' : loaded.errors[0]?.message).toBe('Invalid regular expression: Unterminated group');
  });

  it('names the filter after its file and keeps the modes in file order', () => {
    const text = "failregex: ['a <HOST>']\nmodes:\n  zeta: { failregex: ['z <HOST>'] }\n  alpha: { failregex: ['b <HOST>'] }\n";
    const loaded = parseFilterText(text, '/x/my-filter.yaml');
    expect(loaded.ok && loaded.value.name).toBe('my-filter');
    expect(loaded.ok && [...loaded.value.modes.keys()]).toEqual(['zeta', 'alpha']);
  });

  it('reports a file it cannot read', () => {
    const loaded = loadFilterFile('/nonexistent/dictdefence/none.yaml');
    expect(loaded.ok ? '' : formatConfigError(loaded.errors[0]!)).toMatch(/none\.yaml:0: Cannot read filter file: ENOENT/);
  });
});

describe('findFilter', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'dd-find-filter-'));
  const local = path.join(root, 'local');
  const shipped = path.join(root, 'shipped');
  for (const dir of [local, shipped]) mkdirSync(dir);
  writeFileSync(path.join(local, 'sshd.yaml'), "failregex: ['x <HOST>']\n");
  writeFileSync(path.join(shipped, 'sshd.yaml'), "failregex: ['y <HOST>']\n");
  writeFileSync(path.join(shipped, 'postfix.yaml'), "failregex: ['z <HOST>']\n");
  writeFileSync(path.join(root, 'secret.yaml'), "failregex: ['s <HOST>']\n");
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('takes the first folder that has the file', () => {
    expect(findFilter('sshd', [local, shipped])).toEqual({ ok: true, value: path.join(local, 'sshd.yaml') });
    expect(findFilter('postfix', [local, shipped])).toEqual({ ok: true, value: path.join(shipped, 'postfix.yaml') });
  });

  it('says where it looked when no folder has the file', () => {
    expect(findFilter('nginx', [local, shipped])).toEqual({ ok: false, error: expect.stringContaining(`no nginx.yaml in "${local}"`) });
  });

  it.each(['../secret', '..', '.hidden', 'a/b', 'sshd.yaml', '', 'x\u0000'])('refuses the name %j', (name) => {
    expect(findFilter(name, [local])).toEqual({ ok: false, error: expect.stringContaining('a filter name is letters') });
  });

  it('finds the shipped sshd filter in shippedFiltersDir, the filters folder at the package root', () => {
    expect(findFilter('sshd', [shippedFiltersDir]).ok).toBe(true);
    expect(path.basename(shippedFiltersDir)).toBe('filters');
  });
});

describe('parseSamples', () => {
  it('applies each annotation to the next line and a mode until the next mode', () => {
    const text = '# comment\n# match 192.0.2.1\nline one\n\n# mode aggressive\n# nomatch\nline two\n# mode normal\n# nomatch\nthree\n';
    expect(parseSamples(text)).toEqual({
      errors: [],
      samples: [
        { line: 3, text: 'line one', expect: '192.0.2.1', mode: 'normal' },
        { line: 7, text: 'line two', expect: null, mode: 'aggressive' },
        { line: 10, text: 'three', expect: null, mode: 'normal' },
      ],
    });
  });

  it('reports annotations without a line and lines without an annotation', () => {
    const { errors } = parseSamples('# match 192.0.2.1\n\nlonely line\n# match\nx\n# nomatch\n');
    expect(errors).toEqual([
      'line 1: the annotation is not followed by a sample line',
      'line 3: a sample line without "# match ADDRESS" or "# nomatch" before it',
      'line 4: "# match" needs the address the line must yield',
      'line 5: a sample line without "# match ADDRESS" or "# nomatch" before it',
      'line 6: the annotation is not followed by a sample line',
    ]);
  });
});
