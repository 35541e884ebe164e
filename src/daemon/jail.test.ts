import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { createCidrSet, parseCidr, type Cidr } from '../core/cidr.js';
import { seededRandom } from '../core/seeded.js';
import type { Hit, LogLine, Offence } from '../core/types.js';
import { compileFilter } from '../filters/compile.js';
import { scanIPv4LineOf } from '../filters/fast/index.js';
import { loadFilterFile, parseSamples, shippedFiltersDir } from '../filters/load.js';
import { createTracker } from '../trackers/index.js';
import { createLineSplitter } from '../sources/line-splitter.js';
import { newSourceCounters } from '../sources/source.js';
import { createActiveBans } from './active-bans.js';
import { createJail, type Jail } from './jail.js';

// The matching samples, each with the address it yields (as written in the line, where it is written so).
const samples = parseSamples(readFileSync(path.join(shippedFiltersDir, 'sshd.samples'), 'utf8')).samples
  .flatMap((s) => (s.expect !== null && s.text.includes(s.expect) ? [{ text: s.text, address: s.expect }] : []));
const POOL = ['203.0.113.1', '203.0.113.2', '198.51.100.7', '192.0.2.200', '10.1.2.3', '127.0.0.1', '2001:db8::1',
  '2001:db8::bad', '::ffff:203.0.113.1', '999.1.1.1', '203.0.113.01',
  ...Array.from({ length: 30 }, (_, k) => `198.51.100.${k + 20}`), ...Array.from({ length: 8 }, (_, k) => `2001:db8:1::${k + 1}`)];
const EDITS = ['\u0000', 'é', '\u00a0', ' ', ':', ''];

/** The sshd samples with their addresses drawn from a small pool (so that addresses get banned), some edited. */
function lines(n: number): string[] {
  const rnd = seededRandom(99);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const sample = pick(samples);
    let line = sample.text.replace(sample.address, pick(POOL));
    if (rnd() < 0.15) {
      const at = Math.floor(rnd() * line.length);
      line = line.slice(0, at) + pick(EDITS) + line.slice(at + (rnd() < 0.5 ? 1 : 0));
    }
    out.push(line);
  }
  return out;
}

/** A jail on the shipped sshd filter as the daemon builds it; `byValue`: bans also asked by IPv4 value. */
function jail(byValue: boolean, whitelist: Cidr[]) {
  const def = loadFilterFile(path.join(shippedFiltersDir, 'sshd.yaml'));
  if (!def.ok) throw new Error('sshd.yaml');
  const filter = compileFilter(def.value, { modes: ['aggressive'], maxLineLength: 400 });
  if (!filter.ok) throw new Error(filter.error);
  const active = createActiveBans();
  const offences: Array<[Offence, Hit[]]> = [];
  let askedByValue = 0;
  const bans = active.of('sshd');
  const j = createJail({
    config: { name: 'sshd', useLineTime: false } as Jail['config'],
    filter: filter.value, sources: [], actions: [], notifiers: [],
    tracker: createTracker({ type: 'window', maxFailures: 3, periodMs: 600_000, maxEntries: 1000 }, { clock: { now: () => 0, setTimer: () => () => {} } }),
    whitelist: createCidrSet(whitelist), hitsPerAddress: 4,
    isBanned: bans.isBanned,
    ...(byValue ? { isBannedIPv4: (v: number) => { askedByValue++; return bans.isBannedIPv4(v); } } : {}),
    onOffence: (o, hits) => {
      offences.push([o, hits]);
      // Every other offence is banned: the lines that follow test both verdicts.
      if (offences.length % 2 === 1) active.set({ address: o.address, jail: 'sshd', bannedAt: o.at, until: null, count: 1, reason: o.reason });
    },
  });
  return { j, offences, asked: () => askedByValue };
}

/** Two jails that read the same lines ended alike: counters, offences with their hits, and recent lines. */
function expectSameOutcome(a: ReturnType<typeof jail>, b: ReturnType<typeof jail>): void {
  expect(a.j.counters).toEqual(b.j.counters);
  expect(a.j.filter.counters).toEqual(b.j.filter.counters);
  expect(a.offences).toEqual(b.offences);
  for (const text of POOL) {
    const address = parseAddress(text);
    if (address !== undefined) expect(a.j.recentHits(address)).toEqual(b.j.recentHits(address));
  }
}

describe('jail: IPv4 addresses decided by value', () => {
  it('counts no hit of an address timed before its pardon, by text, by value or from bytes alike', () => {
    const text = (a: string): string => `Nov 25 16:55:59 web1 sshd[1]: Failed password for root from ${a} port 22 ssh2`;
    for (const way of ['text', 'value', 'bytes'] as const) {
      const { j, offences } = jail(way !== 'text', []);
      const feed = (a: string, ...times: number[]): void => {
        for (const at of times) {
          if (way !== 'bytes') j.handle([{ text: text(a), source: 's', receivedAt: at }]);
          else j.takeBytes!(Buffer.from(text(a), 'latin1'), 0, text(a).length, 's', at);
        }
      };
      for (const a of ['203.0.113.9', '2001:db8::9']) {
        const address = parseAddress(a)!;
        feed(a, 1, 2);
        j.forget(address, 10);
        // A replayed old log: hits timed up to the pardon neither count nor go into the recent lines.
        feed(a, 5, 10, 10);
        expect(j.recentHits(address)).toEqual([]);
        feed(a, 11, 12);
        expect(j.recentHits(address).map((h) => h.at), `${way} ${a}`).toEqual([11, 12]);
        feed(a, 13);
        expect(offences.at(-1)?.[0].address).toBe(address);
        expect(offences.at(-1)?.[1].map((h) => h.at)).toEqual([11, 12, 13]);
      }
      expect(offences).toHaveLength(2);
    }
  });

  it('decides every line as the same jail asking by text: counters, offences, hits and recent lines alike', () => {
    const whitelist = ['192.0.2.0/24', '127.0.0.1', '2001:db8::bad', '2001:db8:1::4/126'].map((t) => parseCidr(t)!);
    const fast = jail(true, whitelist), plain = jail(false, whitelist);
    expect(scanIPv4LineOf(fast.j.filter)).toBeDefined();
    const all = lines(20_000);
    for (let i = 0; i < all.length; i += 97) {
      const batch: LogLine[] = all.slice(i, i + 97).map((text, k) => ({ text, source: 's', receivedAt: i + k }));
      fast.j.handle(batch);
      plain.j.handle(batch);
    }
    expectSameOutcome(fast, plain);
    // Both verdicts, and every kind of line, really came up.
    const c = fast.j.counters, f = fast.j.filter.counters;
    expect(fast.asked()).toBeGreaterThan(1000);
    expect(fast.offences.length).toBeGreaterThan(10);
    expect(c.whitelisted).toBeGreaterThan(100);
    expect(c.matched - c.whitelisted).toBeGreaterThan(c.offences * 3);
    expect(f.binary).toBeGreaterThan(0);
    expect(f.badAddress).toBeGreaterThan(0);
    expect(fast.offences.some(([o]) => o.address.includes(':'))).toBe(true);
  });

  it('decides lines handed over as bytes by the line splitter as it decides them as text', () => {
    const whitelist = ['192.0.2.0/24', '127.0.0.1', '2001:db8::bad', '2001:db8:1::4/126'].map((t) => parseCidr(t)!);
    const bytes = jail(true, whitelist), plain = jail(false, whitelist);
    const take = bytes.j.takeBytes;
    expect(take).toBeDefined();
    const all = lines(20_000);
    const splitter = createLineSplitter(400, newSourceCounters()), textSplitter = createLineSplitter(400, newSourceCounters());
    let taken = 0;
    // Chunks of 1 to 6 lines: most of them all ASCII, with no NUL.
    for (let i = 0, n = 1; i < all.length; i += n, n = 1 + (i % 6)) {
      const chunk = all.slice(i, i + n);
      // One chunk as a file source reads it (sources/file-follower.ts), one time for all its lines: the lines
      // the reader can take as bytes go to it, the others are handled as text between them, in order.
      let pending: string[] = [];
      const before = (): void => {
        bytes.j.handle(pending.map((text) => ({ text, source: 's', receivedAt: i })));
        pending = [];
      };
      splitter.push(Buffer.from(`${chunk.join('\n')}\n`), {
        take: (b, start, end) => { before(); take!(b, start, end, 's', i); taken++; return true; },
        text: (line) => { pending.push(line); },
      });
      before();
      // The same bytes as a source without `takeBytes` hands them on: every line as text.
      plain.j.handle(textSplitter.push(Buffer.from(`${chunk.join('\n')}\n`)).map((text) => ({ text, source: 's', receivedAt: i })));
    }
    expect(taken).toBeGreaterThan(5000);
    expectSameOutcome(bytes, plain);
    expect(bytes.offences.length).toBeGreaterThan(10);
    expect(bytes.offences.some(([o]) => o.address.includes(':'))).toBe(true);
  });

  it('sees a ban made between two batches, and its lifting', () => {
    const { j, offences } = jail(true, []);
    const line = (a: string, at: number): LogLine => ({ text: `Nov 25 16:55:59 web1 sshd[1]: Failed password for root from ${a} port 22 ssh2`, source: 's', receivedAt: at });
    j.handle([line('203.0.113.9', 1), line('203.0.113.9', 2), line('203.0.113.9', 3)]);
    expect(offences.map(([o]) => o.address)).toEqual(['203.0.113.9' as Address]);
    // Banned now (first offence): its lines are matched but no longer counted towards another offence.
    j.handle([line('203.0.113.9', 4), line('203.0.113.9', 5), line('203.0.113.9', 6)]);
    expect(offences).toHaveLength(1);
    expect(j.counters.matched).toBe(6);
  });
});
