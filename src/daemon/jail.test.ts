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

describe('jail: IPv4 addresses decided by value', () => {
  it('decides every line as the same jail asking by text: counters, offences, hits and recent lines alike', () => {
    const whitelist = ['192.0.2.0/24', '127.0.0.1', '2001:db8::bad'].map((t) => parseCidr(t)!);
    const fast = jail(true, whitelist), plain = jail(false, whitelist);
    expect(scanIPv4LineOf(fast.j.filter)).toBeDefined();
    const all = lines(20_000);
    for (let i = 0; i < all.length; i += 97) {
      const batch: LogLine[] = all.slice(i, i + 97).map((text, k) => ({ text, source: 's', receivedAt: i + k }));
      fast.j.handle(batch);
      plain.j.handle(batch);
    }
    expect(fast.j.counters).toEqual(plain.j.counters);
    expect(fast.j.filter.counters).toEqual(plain.j.filter.counters);
    expect(fast.offences).toEqual(plain.offences);
    for (const a of POOL) {
      const address = parseAddress(a);
      if (address !== undefined) expect(fast.j.recentHits(address)).toEqual(plain.j.recentHits(address));
    }
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
