import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missing } from '../../../test/ci.js';
import { parseAddress } from '../../core/address.js';
import { compileFilter, ruleSource } from '../compile.js';
import type { Filter } from '../filter.js';
import { parseFilterText } from '../load.js';
import { importFail2banFilter } from './convert.js';
import { readSampleLogs } from './sample-logs.js';

// The importer against the real thing: Debian's fail2ban package (installed by .ci/run) ships the filters in
// /etc/fail2ban/filter.d and fail2ban's own annotated sample logs in its test files. Each filter is converted
// once per option set the logs use (mode, logging…), and every annotated line is run through the converted
// filter. Agreement: the line matches exactly when fail2ban's annotation says it does, with the same address.
// Two kinds of lines differ by design and are counted apart (all are listed): fail2ban bans host names and
// quads with leading zeros, DictDefence never does; and fail2ban links the lines of one session (a success
// "forgets" failures, a disconnect after failures counts), while a DictDefence filter judges each line alone.
// The 95% bar applies to the other lines: those a single-line, address-only filter can judge.
const FILTERS = '/etc/fail2ban/filter.d';
const LOGS = '/usr/lib/python3/dist-packages/fail2ban/tests/files/logs';
const NAMES = ['sshd', 'postfix', 'dovecot', 'nginx-http-auth', 'apache-auth'];
const THRESHOLD = 0.95;
const available = existsSync(path.join(FILTERS, 'sshd.conf')) && existsSync(path.join(LOGS, 'sshd'));
const report: string[] = [];

/** Where DictDefence disagrees on purpose (docs/filters.md): a line can only be judged apart from those. */
function byDesign(host: string | undefined): string | undefined {
  if (host === undefined || parseAddress(host) !== undefined) return undefined;
  return /^[\d.]+$/.test(host) ? 'not a valid address (leading zeros)' : 'a host name, never banned';
}

describe('fail2ban filter import on fail2ban\'s own sample logs', () => {
  afterAll(() => { if (report.length > 0) process.stdout.write(`\n${report.join('\n')}\n`); });

  it.each(NAMES)('%s converted agrees with fail2ban on at least 95% of the annotated lines a single-line filter can judge', (name) => {
    if (!available && missing('fail2ban (Debian package)', `no ${FILTERS}/sshd.conf or ${LOGS}/sshd`)) return;
    const filters = new Map<string, { filter: Filter; linked: RegExp[] }>();
    const filterFor = (options: Readonly<Record<string, string>>): { filter: Filter; linked: RegExp[] } => {
      const key = JSON.stringify(options);
      let f = filters.get(key);
      if (!f) {
        const { mode, ...rest } = options;
        const imported = importFail2banFilter(path.join(FILTERS, `${name}.conf`), { mode, params: new Map(Object.entries(rest)) });
        if (!imported.ok) throw new Error(imported.errors.map((e) => `${e.file}:${e.line}: ${e.message}`).join('\n'));
        const def = parseFilterText(imported.value.yaml, `${name}.yaml`);
        if (!def.ok) throw new Error(JSON.stringify(def.errors));
        const compiled = compileFilter(def.value, { modes: [], maxLineLength: 8192 });
        if (!compiled.ok) throw new Error(compiled.error);
        // Rules fail2ban uses to link the lines of one session (left out here): a line they match is judged
        // by fail2ban from other lines, which a filter of single lines cannot do.
        const linked = imported.value.omitted.flatMap((o) => o.probe).map((p) => new RegExp(ruleSource('', p)));
        f = { filter: compiled.value, linked };
        filters.set(key, f);
      }
      return f;
    };
    let agree = 0, designed = 0;
    const rest: string[] = [];
    const cases = readSampleLogs(LOGS, name);
    for (const c of cases) {
      // A journal entry reaches DictDefence with a head; fail2ban's journal samples are "host prog[pid]: msg".
      const text = c.options['logtype'] === 'journal' ? `Jan  1 00:00:00 ${c.text}` : c.text;
      const { filter, linked } = filterFor(c.options);
      const got = filter.match(text);
      const want = c.match ? (c.host === undefined ? 'a match' : parseAddress(c.host) ?? c.host) : 'no match';
      const ok = c.match ? got !== undefined && (c.host === undefined || got.address === parseAddress(c.host)) : got === undefined;
      if (ok) { agree++; continue; }
      const why = c.match ? byDesign(c.host) ?? (c.host === undefined || !c.text.includes(c.host) ? 'multi-line: the address is not on this line'
        : linked.some((re) => re.test(text)) ? 'multi-line: fail2ban judges this line by the other lines of its session' : undefined) : undefined;
      if (why) designed++;
      const opts = Object.keys(c.options).length ? ` ${JSON.stringify(c.options)}` : '';
      rest.push(`    ${c.file}:${c.line}${opts}: fail2ban ${want}, DictDefence ${got?.address ?? 'no match'}${why ? ` (by design: ${why})` : ''}\n      ${c.text.slice(0, 160)}`);
    }
    const total = cases.length;
    const share = agree / total;
    const judged = agree / (total - designed);
    report.push(`${name}: agrees on ${agree}/${total} annotated lines (${(share * 100).toFixed(1)}%); ` +
      `${designed} differ by design; ${(judged * 100).toFixed(1)}% of the rest`, ...rest);
    expect(total).toBeGreaterThan(10);
    expect(judged, `${name}: ${(judged * 100).toFixed(1)}% agreement on the lines it can judge`).toBeGreaterThanOrEqual(THRESHOLD);
  });
});
