import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileFilter } from '../compile.js';
import { parseLineTime } from '../line-time.js';
import { loadFilterFile, shippedFiltersDir, type FilterDef } from '../load.js';
import { createBsdTime } from './bsd-time.js';
import { fastPathOf, fingerprint } from './index.js';
import { readBsdHead, type BsdHead } from './syslog-head.js';

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

/** readBsdHead on the bytes of an ASCII line, as the fast path calls it. */
function readHead(line: string, h: BsdHead): number {
  const b = Buffer.from(line, 'latin1');
  return readBsdHead(b, 0, b.length, h);
}

describe('readBsdHead', () => {
  const head = (): BsdHead => ({ monthKey: 0, day: 0, hour: 0, minute: 0, second: 0 });

  it('reads a syslog head and returns where the program starts', () => {
    const h = head();
    expect(readHead('Mar  1 02:03:04 web1 sshd[1]: x', h)).toBe(21);
    expect(h).toMatchObject({ day: 1, hour: 2, minute: 3, second: 4 });
    expect(readHead('Nov 25 16:55:59 h x', h)).toBe(18);
    expect(h.day).toBe(25);
  });

  it.each([
    'Mar  1 02:03:04.123 web1 x', 'Mar  1 02:03:04 <auth.info> web1 x', '2024-03-01T02:03:04Z web1 x', 'mar  1 02:03:04 web1 x',
    'Mar   1 02:03:04 web1 x', 'Mar  1 2:03:04 web1 x', 'Mar  1 02:03:04  web1 x', 'Mar  1 02:03:04 we\tb1 x',
    `Mar  1 02:03:04 ${'h'.repeat(256)} x`, 'Mar  1 02:03:04 web1', 'Mar  123 02:03:04 web1 x',
  ])('leaves %j to the regexes', (line) => {
    expect(readHead(line, head())).toBe(-1);
  });
});

describe('createBsdTime', () => {
  const zone = process.env.TZ;
  afterEach(() => { if (zone === undefined) delete process.env.TZ; else process.env.TZ = zone; });

  it.each(['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Apia'])(
    'gives what parseLineTime gives, in %s', (tz) => {
      process.env.TZ = tz;
      const time = createBsdTime();
      const h: BsdHead = { monthKey: 0, day: 0, hour: 0, minute: 0, second: 0 };
      let seed = 5;
      const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
      const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'Foo'];
      const two = (n: number): string => String(n).padStart(2, '0');
      for (let i = 0; i < 20_000; i++) {
        // Clocks around New Year and around the usual DST changes, and anywhere in between.
        const base = [Date.UTC(2026, 0, 1), Date.UTC(2025, 2, 30), Date.UTC(2025, 9, 26), Date.UTC(2024, 1, 29), Date.UTC(2026, 3, 5)][rnd(5)]!;
        const now = base + (rnd(9) - 4) * 86_400_000 + rnd(86_400_000);
        const mo = months[rnd(months.length)]!;
        const line = `${mo} ${rnd(2) ? two(1 + rnd(31)) : ` ${1 + rnd(9)}`} ${two(rnd(25))}:${two(rnd(61))}:${two(rnd(61))} host sshd: x`;
        if (readHead(line, h) < 0) continue;
        const got = time.of(h, now);
        expect([line, now, got === null ? parseLineTime(line, now) : got]).toEqual([line, now, parseLineTime(line, now)]);
      }
    },
  );

  it('hands clocks before the year 1000 back to parseLineTime', () => {
    const h: BsdHead = { monthKey: 0, day: 0, hour: 0, minute: 0, second: 0 };
    readHead('Mar  1 00:00:00 h x', h);
    expect(createBsdTime().of(h, Date.UTC(50, 0, 1) - 1900 * 365 * 86_400_000)).toBeNull();
    expect(createBsdTime().of(h, Number.NaN)).toBeNull();
  });
});
