import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileFilter } from '../compile.js';
import { parseLineTime } from '../line-time.js';
import { loadFilterFile, shippedFiltersDir, type FilterDef } from '../load.js';
import { createHeadTime } from './head-time.js';
import { fastPathOf, fingerprint } from './index.js';
import { readSyslogHead, type SyslogHead } from './syslog-head.js';

const sshd = ((): FilterDef => {
  const r = loadFilterFile(path.join(shippedFiltersDir, 'sshd.yaml'));
  if (!r.ok) throw new Error('Cannot load filters/sshd.yaml');
  return r.value;
})();
const compile = (def: FilterDef, modes: string[] = [], fastPath?: boolean) => {
  const r = compileFilter(def, { modes, maxLineLength: 8192, ...(fastPath === undefined ? {} : { fastPath }) });
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('withFastPath', () => {
  it.each([[[]], [['aggressive']]])('puts the shipped sshd filter with modes %j on its fast path', (modes) => {
    const filter = compile(sshd, modes);
    // When this fails, the sshd rules, <HOST> or <SYSLOG> changed: the regexes still run, correctly but slower.
    // Check src/filters/fast/sshd.ts against the new rules (fast.fuzz.test.ts runs it against them whatever the
    // fingerprint says), then put this fingerprint in its FINGERPRINTS.
    expect(fastPathOf(filter), `fingerprint now ${fingerprint(compile(sshd, modes, false).rules)}`).toBe('sshd');
  });

  it('leaves a filter alone when asked to, or when its rules differ in any way', () => {
    expect(fastPathOf(compile(sshd, [], false))).toBeUndefined();
    const edited = { ...sshd, failregex: [...sshd.failregex.slice(0, -1), 'Did not receive identification string from <HOST>$'] };
    expect(fastPathOf(compile(edited))).toBeUndefined();
    expect(fastPathOf(compile({ ...sshd, ignoreregex: ['Failed password for root from <HOST>'] }))).toBeUndefined();
  });

  it('keeps the filter as it was otherwise: rules, rule info, counters', () => {
    const fast = compile(sshd), slow = compile(sshd, [], false);
    expect(fast.rules).toEqual(slow.rules);
    expect(fast.ruleInfo).toEqual(slow.ruleInfo);
    expect(fast.match('Mar  1 00:00:00 web1 sshd[9]: Invalid user a from 192.0.2.9 port 22')).toEqual({ address: '192.0.2.9', rule: 1 });
    expect(fast.counters).toEqual({ ...slow.counters, lines: 1, perRule: slow.counters.perRule.map((n, i) => n + (i === 1 ? 1 : 0)) });
  });
});

/** readSyslogHead on the bytes of an ASCII line, as the fast path calls it. */
function readHead(line: string, h: SyslogHead): number {
  const b = Buffer.from(line, 'latin1');
  return readSyslogHead(b, 0, b.length, h);
}

const emptyHead = (): SyslogHead =>
  ({ monthKey: 0, year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, ms: 0, zoneSign: 0, zoneHours: 0, zoneMinutes: 0 });

describe('readSyslogHead', () => {
  it('reads a BSD syslog head and returns where the program starts', () => {
    const h = emptyHead();
    expect(readHead('Mar  1 02:03:04 web1 sshd[1]: x', h)).toBe(21);
    expect(h).toMatchObject({ day: 1, hour: 2, minute: 3, second: 4 });
    expect(readHead('Nov 25 16:55:59 h x', h)).toBe(18);
    expect(h).toMatchObject({ day: 25, ms: 0 });
    // journald's short-precise.
    expect(readHead('Nov 25 16:55:59.123456 h x', h)).toBe(25);
    expect(h).toMatchObject({ day: 25, second: 59, ms: 123 });
    expect(readHead('Nov 25 16:55:59.5 h x', h)).toBe(20);
    expect(h.ms).toBe(500);
  });

  it('reads an RFC 3339 head, its fraction and its zone', () => {
    const h = emptyHead();
    expect(readHead('2026-03-01T02:03:04.123456+05:30 web1 sshd[1]: x', h)).toBe(38);
    expect(h).toEqual({ monthKey: 0, year: 2026, month: 3, day: 1, hour: 2, minute: 3, second: 4, ms: 123, zoneSign: 1, zoneHours: 5, zoneMinutes: 30 });
    expect(readHead('2026-11-25 16:55:59,5-0700 h x', h)).toBe(29);
    expect(h).toMatchObject({ year: 2026, month: 11, day: 25, ms: 500, zoneSign: -1, zoneHours: 7, zoneMinutes: 0 });
    expect(readHead('2026-11-25T16:55:59Z h x', h)).toBe(23);
    expect(h).toMatchObject({ ms: 0, zoneSign: 1, zoneHours: 0, zoneMinutes: 0 });
    expect(readHead('2026-11-25T16:55:59.12-03 h x', h)).toBe(28);
    expect(h).toMatchObject({ ms: 120, zoneSign: -1, zoneHours: 3, zoneMinutes: 0 });
    expect(readHead('2026-11-25T16:55:59 h x', h)).toBe(22);
    expect(h).toMatchObject({ ms: 0, zoneSign: 0 });
  });

  it.each([
    'Mar  1 02:03:04.1234567890 web1 x', 'Mar  1 02:03:04. web1 x', 'Mar  1 02:03:04,5 web1 x', 'Mar  1 02:03:04.5 <auth.info> web1 x',
    'Mar  1 02:03:04 <auth.info> web1 x', 'mar  1 02:03:04 web1 x',
    'Mar   1 02:03:04 web1 x', 'Mar  1 2:03:04 web1 x', 'Mar  1 02:03:04  web1 x', 'Mar  1 02:03:04 we\tb1 x',
    `Mar  1 02:03:04 ${'h'.repeat(256)} x`, 'Mar  1 02:03:04 web1', 'Mar  123 02:03:04 web1 x',
    '2026-03-01t02:03:04Z web1 x', '2026-03-01T02:03:04.1234567890Z web1 x', '2026-03-01T02:03:04. web1 x',
    '2026-03-01T02:03:04+1 web1 x', '2026-03-01T02:03:04+01:0 web1 x', '2026-03-01T02:03:04+011 web1 x',
    '2026-03-01T02:03:04ZZ web1 x', '2026-3-01T02:03:04Z web1 x', '2026-03-01T02:03:04Z  web1 x', '2026-03-01T02:03:04Z',
    '2026-03-01T02:03:04+01:00', '1709251200.123 web1 x', 'Wed 2024-03-01 00:00:00 UTC web1 x',
  ])('leaves %j to the regexes', (line) => {
    expect(readHead(line, emptyHead())).toBe(-1);
  });

  it('reads nothing past the line', () => {
    // The line ends inside its zone or right after it; the bytes after it (another line) would complete it.
    for (const [line, rest] of [['2026-03-01T02:03:04+01', ':00 web1 x'], ['2026-03-01T02:03:04+01:', '00 web1 x'], ['2026-03-01T02:03:04.5', ' web1 x'],
      ['Mar  1 02:03:04.5', ' web1 x'], ['Mar  1 02:03:04.', '5 web1 x'], ['Mar  1 02:03:04 ', 'web1 x']] as const) {
      const b = Buffer.from(line + rest, 'latin1');
      expect(readSyslogHead(b, 0, line.length, emptyHead())).toBe(-1);
    }
  });
});

describe('createHeadTime', () => {
  const zone = process.env.TZ;
  afterEach(() => { if (zone === undefined) delete process.env.TZ; else process.env.TZ = zone; });
  const two = (n: number): string => String(n).padStart(2, '0');

  it.each(['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Apia'])(
    'gives what parseLineTime gives, in %s', (tz) => {
      process.env.TZ = tz;
      const time = createHeadTime();
      const h = emptyHead();
      let seed = 5;
      const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
      const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'Foo'];
      const zones = ['', 'Z', '+00:00', '-00:00', '+05:30', '-0700', '+01', '+24:00', '-03:60', '+13:45'];
      const fractions = ['', '.1', ',12', '.123', '.999999', '.000000001'];
      let read = 0;
      for (let i = 0; i < 20_000; i++) {
        // Clocks around New Year and around the usual DST changes, and anywhere in between.
        const base = [Date.UTC(2026, 0, 1), Date.UTC(2025, 2, 30), Date.UTC(2025, 9, 26), Date.UTC(2024, 1, 29), Date.UTC(2026, 3, 5)][rnd(5)]!;
        const now = base + (rnd(9) - 4) * 86_400_000 + rnd(86_400_000);
        const clock = `${two(rnd(25))}:${two(rnd(61))}:${two(rnd(61))}`;
        // ISO heads near the same instants (their own year, not the clock's), now and then in another year.
        const at = new Date(now + (rnd(3) - 1) * 86_400_000);
        const year = rnd(10) === 0 ? [999, 1000, 1900, 2000, 2100, 9999][rnd(6)]! : at.getUTCFullYear();
        const line = rnd(2) === 0
          ? `${months[rnd(months.length)]!} ${rnd(2) ? two(1 + rnd(31)) : ` ${1 + rnd(9)}`} ${clock}${rnd(3) === 0 ? fractions[rnd(fractions.length)]!.replace(',', '.') : ''} host sshd: x`
          : `${String(year).padStart(4, '0')}-${two(rnd(14))}-${two(rnd(33))}${rnd(4) ? 'T' : ' '}${clock}${fractions[rnd(fractions.length)]!}${zones[rnd(zones.length)]!} host sshd: x`;
        if (readHead(line, h) < 0) continue;
        read++;
        const got = time.of(h, now);
        expect([line, now, got === null ? parseLineTime(line, now) : got]).toEqual([line, now, parseLineTime(line, now)]);
      }
      expect(read).toBeGreaterThan(15_000);
    },
  );

  it('hands clocks and years before the year 1000 back to parseLineTime', () => {
    const h = emptyHead();
    readHead('Mar  1 00:00:00 h x', h);
    expect(createHeadTime().of(h, Date.UTC(50, 0, 1) - 1900 * 365 * 86_400_000)).toBeNull();
    expect(createHeadTime().of(h, Number.NaN)).toBeNull();
    readHead('0999-03-01T00:00:00Z h x', h);
    expect(createHeadTime().of(h, Date.now())).toBeNull();
  });
});
