import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/seeded.js';
import { compileFilter } from './compile.js';
import type { Filter } from './filter.js';
import { lineStartOf, startsAs } from './line-start.js';
import { loadFilterFile, parseFilterText, parseSamples, shippedFiltersDir } from './load.js';
import { hasSyslogHead } from './program.js';

const names = readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
const shipped = new Map(names.map((name): [string, Filter] => {
  const def = loadFilterFile(path.join(shippedFiltersDir, `${name}.yaml`));
  if (!def.ok) throw new Error(`Cannot load ${name}`);
  const f = compileFilter(def.value, { modes: [...def.value.modes.keys()], maxLineLength: 8192 });
  if (!f.ok) throw new Error(f.error);
  return [name, f.value];
}));
const samples = names.flatMap((n) => parseSamples(readFileSync(path.join(shippedFiltersDir, `${n}.samples`), 'utf8')).samples.map((s) => s.text));
/** The filters a line with no syslog head may be offered to. */
const takers = (line: string): string[] => [...shipped].filter(([, f]) => f.syslogOnly !== true && (f.headless === undefined || startsAs(f.headless, line))).map(([n]) => n);

describe('the start of a line with no syslog head', () => {
  it('never refuses a line the filter matches: every shipped filter, all modes, on every sample and edits of it', () => {
    const rnd = seededRandom(2611);
    const junk = ['', ' ', '[', ']', '0', '9', 'a', 'Z', ':', '.', '/', '-', '"', '\t', 'é'];
    let matched = 0;
    for (const sample of samples) {
      const lines = [sample];
      for (let i = 0; i < 12; i++) {
        const at = Math.floor(rnd() * 10);
        lines.push(sample.slice(0, at) + junk[Math.floor(rnd() * junk.length)]! + sample.slice(at + Math.floor(rnd() * 2)));
      }
      for (const line of lines) {
        if (hasSyslogHead(line)) continue;
        for (const [name, f] of shipped) {
          if (f.syslogOnly === true || f.match(line) === undefined) continue;
          matched++;
          expect(f.headless === undefined || startsAs(f.headless, line), `${name}: ${line}`).toBe(true);
        }
      }
    }
    expect(matched).toBeGreaterThan(100);
  });

  it('offers the web and mail servers\' own log lines only to the filters that can start as they do', () => {
    expect(takers('[Wed Nov 25 16:55:59.123456 2026] [auth_basic:error] [pid 1234] [client 203.0.113.1:5000] AH01618: user x not found')).toEqual(['apache-auth']);
    expect(takers('203.0.113.1 - - [25/Nov/2026:16:55:59 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" "x"')).toEqual(['nginx-botsearch']);
    expect(takers('Wed Nov 25 16:55:59 2026 [pid 1234] [admin] FAIL LOGIN: Client "203.0.113.1"')).toEqual(['dropbear', 'vsftpd']);
    // `2026/11/25` is also a <DATE> (Dropbear's and vsftpd's own heads), and an access log's address may be IPv6.
    expect(takers('2026/11/25 16:55:59 [error] 1234#1234: *5 user "admin" was not found in "/etc/nginx/.htpasswd"'))
      .toEqual(['dropbear', 'nginx-botsearch', 'nginx-http-auth', 'nginx-limit-req', 'vsftpd']);
    expect(takers('attacker.example.com - - [25/Nov/2026:16:55:59 +0000] "GET / HTTP/1.1" 404 1')).toEqual([]);
    // Shorter than the characters read: only those there are looked at.
    expect(takers('2')).toEqual(['dropbear', 'exim', 'nginx-botsearch', 'nginx-http-auth', 'nginx-limit-req', 'vsftpd']);
  });

  it('is any start where a rule refers back to a group or does not parse, and none where the prefix needs a head there', () => {
    const startOf = (yaml: string): Filter['headless'] => {
      const def = parseFilterText(yaml, 't.yaml');
      if (!def.ok) throw new Error(def.errors.map((e) => e.message).join('; '));
      const f = compileFilter(def.value, { modes: [], maxLineLength: 8192 });
      if (!f.ok) throw new Error(f.error);
      return f.value.headless;
    };
    expect(startOf('failregex: ["(a)b\\\\1 from <HOST>$"]')).toBeUndefined();
    expect(startOf('failregex: ["x{2}y from <HOST>$"]')).toBeDefined();
    expect(lineStartOf('', ['x(']) ).toBeUndefined();
    // A head past the line's start is not the head the router looked for: there, <SYSLOG> may match.
    const later = lineStartOf('\\[\\d\\] <SYSLOG>prog: ', ['fail from <HOST>$']);
    expect(later !== undefined && startsAs(later, '[1] Nov 25 16:55:59 host prog: fail from 192.0.2.1')).toBe(true);
    expect(later !== undefined && startsAs(later, 'x] Nov 25 16:55:59 host prog: fail from 192.0.2.1')).toBe(false);
    const none = lineStartOf('(?:<SYSLOG>)', ['a']);
    expect(none !== undefined && ['a', '2026', 'Nov', ' '].some((l) => startsAs(none, l))).toBe(false);
  });
});
