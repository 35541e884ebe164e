import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/seeded.js';
import { compileFilter } from './compile.js';
import type { Filter } from './filter.js';
import { afterHeadOf, headEnds, headTimeMaxLength, lineStartOf, MAX_HEAD_TIME, startsAs, startsAsAt } from './line-start.js';
import { loadFilterFile, parseFilterText, parseSamples, shippedFiltersDir } from './load.js';
import { hasSyslogHead, programWordStart } from './program.js';
import { SYSLOG_PATTERN } from './line-time.js';

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

describe('the lines whose head <SYSLOG> may match in several ways', () => {
  const HEADS = ['Nov 25 16:55:59', 'Nov  5 16:55:59.5', 'Nov 25 16:55:59 <auth.info>', '2026-11-25 16:55:59', '2026-11-25 16:55:59,123+01:00',
    '2026-11-25T16:55:59Z', 'Wed 2026-11-25 16:55:59.1 Europe/Berlin', '1764089759.123456', '1764089759'];
  const HOSTS = ['web1', '<auth.info>', '[x]', 'imap-login:', 'h'.repeat(255), 'h'.repeat(256), '::1', ''];
  const ends = (line: string): number[] => { const out: number[] = []; return out.slice(0, headEnds(line, out)); };
  const whole = new RegExp(`^(?:${SYSLOG_PATTERN})$`);

  it('are read for every place such a head can end', () => {
    const rnd = seededRandom(2711);
    let found = 0;
    for (const head of HEADS) {
      for (const host of HOSTS) {
        for (const rest of ['sshd[1]: x y', ' x', '', 'a  b  c d e f g h i j k l m n o p']) {
          const line = `${head} ${host} ${rest}`.slice(0, rnd() < 0.2 ? Math.floor(rnd() * 60) : undefined);
          const places = ends(line);
          for (let e = 1; e <= line.length; e++) {
            if (!whole.test(line.slice(0, e))) continue;
            found++;
            expect(places, `${JSON.stringify(line)} can have a head ending at ${e}`).toContain(e);
          }
        }
      }
    }
    expect(found).toBeGreaterThan(200);
    // Past the longest time (the FreeBSD priority or journald's zone included) no head can start its host.
    expect(MAX_HEAD_TIME).toBe(headTimeMaxLength());
    expect(MAX_HEAD_TIME).toBe(66);
    expect(ends(`${'x'.repeat(66)} h p`)).toEqual([69]);
    expect(ends(`${'x'.repeat(67)} h p`)).toEqual([]);
  });

  it('go to every filter that matches them: every shipped filter, all modes, on every sample under other heads', () => {
    let matched = 0, uncertain = 0;
    for (const sample of samples) {
      const rest = /^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} (\S+ .*)$/.exec(sample)?.[1];
      const lines = rest === undefined ? HEADS.map((h) => `${h} ${sample}`) : HEADS.flatMap((h) => [`${h} ${rest}`, `${h} <auth.info> ${rest}`]);
      for (const line of lines) {
        if (programWordStart(line) >= 0 || !hasSyslogHead(line)) continue;
        uncertain++;
        for (const [name, f] of shipped) {
          if (f.match(line) === undefined) continue;
          matched++;
          const without = f.syslogOnly !== true && (f.headless === undefined || startsAs(f.headless, line));
          const after = f.afterHead === undefined || ends(line).some((e) => startsAsAt(f.afterHead!, line, e));
          expect(without || after, `${name}: ${line}`).toBe(true);
        }
      }
    }
    expect(uncertain).toBeGreaterThan(1000);
    expect(matched).toBeGreaterThan(500);
  });

  it('are read after the head as the prefix and the rules go on there, and not at all by a filter whose every path starts otherwise', () => {
    const rows = (start: ReturnType<typeof afterHeadOf>, n: number): string[] => Array.from({ length: n }, (_, i) => {
      const row = start?.table.subarray(i * 256, i * 256 + 256);
      return row === undefined ? '*' : [...'abdefghilnoprsx:[ '].filter((c) => row[c.charCodeAt(0)] === 1).join('');
    });
    expect(rows(afterHeadOf('<SYSLOG>(?:sshd|login)\\[\\d+\\]: ', ['fail']), 6)).toEqual(['ls', 'os', 'gh', 'di', 'n[', '[']);
    expect(rows(afterHeadOf('', ['(?:<SYSLOG>)?x: ', 'a']), 3)).toEqual(['x', ':', ' ']);
    // A prefix that can match nothing: a rule may start with the head.
    expect(rows(afterHeadOf('(?:foo)?', ['<SYSLOG>x: ']), 3)).toEqual(['x', ':', ' ']);
    expect(rows(afterHeadOf('\\[x\\] <SYSLOG>', ['a']), 2)).toEqual(['', '']);
    expect(afterHeadOf('(a)<SYSLOG>\\1', ['a'])).toBeUndefined();
    expect(afterHeadOf('<SYSLOG>', ['(a)x\\1', 'b'])).toBeUndefined();
  });
});
