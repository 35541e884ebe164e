import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../core/seeded.js';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../config/defaults.js';
import { createCidrSet } from '../core/cidr.js';
import type { LogLine } from '../core/types.js';
import { compileFilter } from '../filters/compile.js';
import type { Filter } from '../filters/filter.js';
import { loadFilterFile, parseFilterText, parseSamples, shippedFiltersDir } from '../filters/load.js';
import { programWord, requiresSyslogHead } from '../filters/program.js';
import { createTracker } from '../trackers/index.js';
import { createJail, type Jail } from './jail.js';
import { createLineSplitter, type LineSplitter } from '../sources/line-splitter.js';
import { createLineRouter, MAX_ROUTE_LISTS } from './router.js';
import { DECODE_WINDOW } from './router-bytes.js';

// The router may only leave out lines a filter cannot match. Every shipped filter (all modes on) as a jail,
// once behind the router and once fed every line, over the sample lines of every filter and hostile
// variants of them: both must see the same matches, in the same order, and end with the same counters.
const names = readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
const samples = names.flatMap((n) => parseSamples(readFileSync(path.join(shippedFiltersDir, `${n}.samples`), 'utf8')).samples.map((s) => s.text));


const BSD = /^[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2}/;
const HEADS = ['Nov 25 16:55:59', 'Nov  5 16:55:59', 'Nov 25 16:55:59.123456', 'Nov 25 16:55:59 <auth.info>',
  'Nov 25 16:55:59 <authpriv.notice>', '2026-11-25T16:55:59.123456+00:00', '2026-11-25T16:55:59+0000', '2026-11-25 16:55:59',
  '2026-11-25T16:55:59Z', 'Wed 2026-11-25 16:55:59 UTC', 'Wed 2026-11-25 16:55:59.1 Europe/Berlin', '1764089759.123456',
  '1764089759', 'Nov 25 16:55', 'Nov 25 2026 16:55:59', 'Wed Nov 25 16:55:59 2026', '2026/11/25 16:55:59', ''];
const HOSTS = ['web1', '<auth.info>', '<x.y>', '[pid', 'imap-login:', 'auth:', 'h'.repeat(255), 'h'.repeat(256), '::1',
  '203.0.113.9', 'a\tb', 'auth.info', '-'];
const PROGRAMS = ['sshd', 'sshd-session', 'sshdx', 'ssh', 'xsshd', 'postfix/smtpd', 'postfix-out/smtpd', 'pure-ftpd',
  'pure', 'dovecot', 'auth', 'auth-worker(12)', 'wp(blog)', 'exim4', 'nginx', 'apache2', '(sd-pam)', 'CRON', 'su', 'dropbear'];
const JUNK = [' ', '  ', '\t', ':', '[', ']', '<', '>', '(', ')', '.', '-', '_', 'a', 'Z', '7', '\u00a0', '\u2028', ''];

/** Variants of a sample line: other heads, hosts and programs, spacing, and random edits. */
function variants(line: string, rnd: () => number): string[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const out = [line];
  const head = BSD.exec(line)?.[0];
  if (head !== undefined) {
    const rest = line.slice(head.length);
    const m = /^ (\S+) ([^[:\s]+)(.*)$/.exec(rest);
    for (let i = 0; i < 4; i++) out.push(`${pick(HEADS)}${rest}`);
    if (m) {
      const [, host = '', program = '', tail = ''] = m;
      for (let i = 0; i < 4; i++) out.push(`${head} ${pick(HOSTS)} ${program}${tail}`);
      for (let i = 0; i < 6; i++) out.push(`${pick(HEADS)} ${pick(HOSTS)} ${pick(PROGRAMS)}${tail}`);
      out.push(`${head} ${host} ${program}${tail.replace(/^\[\d+\]/, '')}`, `${head}  ${host} ${program}${tail}`, `${head} ${host}  ${program}${tail}`);
      out.push(`${head} ${host} ${tail.replace(/^\[\d+\]: /, '')}`, `${head} <auth.info> ${host} ${program}${tail}`);
    }
  } else {
    for (let i = 0; i < 3; i++) out.push(`${pick(HEADS)} ${pick(HOSTS)} ${line}`, `${pick(HEADS)} ${line}`);
  }
  for (let i = 0; i < 6; i++) {
    const at = Math.floor(rnd() * Math.min(line.length, 60));
    const cut = Math.floor(rnd() * 3);
    out.push(line.slice(0, at) + pick(JUNK) + line.slice(at + cut));
  }
  return out;
}

interface Run { jails: Jail[]; seen: Map<string, string[]>; offences: string[] }

/**
 * Every shipped filter (or those in `only`) as a jail; those named in `bare` keep their own filter (and so its
 * bytes entry), unrecorded.
 */
function build(bare: readonly string[] = [], only: readonly string[] = names): Run {
  const seen = new Map<string, string[]>();
  const offences: string[] = [];
  const jails = only.map((name) => {
    const def = loadFilterFile(path.join(shippedFiltersDir, `${name}.yaml`));
    if (!def.ok) throw new Error(`Cannot load ${name}`);
    const compiled = compileFilter(def.value, { modes: [...def.value.modes.keys()], maxLineLength: DEFAULTS.maxLineLength });
    if (!compiled.ok) throw new Error(compiled.error);
    const log: string[] = [];
    seen.set(name, log);
    const inner = compiled.value;
    const filter: Filter = bare.includes(name) ? inner : { ...inner, match: (line) => {
      const m = inner.match(line);
      if (m) log.push(`${m.rule} ${m.address} ${line}`);
      return m;
    } };
    return createJail({
      config: { name, useLineTime: false } as Jail['config'], filter, sources: [], actions: [], notifiers: [],
      tracker: createTracker(DEFAULTS.tracker, { clock: { now: () => 0, setTimer: () => () => {} } }),
      whitelist: createCidrSet([]), hitsPerAddress: 3, isBanned: () => false, isBannedIPv4: () => false,
      onOffence: (o) => { offences.push(`${o.jail} ${o.address}`); },
    });
  });
  return { jails, seen, offences };
}

function feed(lines: readonly string[], route: boolean): Run {
  const run = build();
  const router = createLineRouter(run.jails);
  for (let i = 0; i < lines.length; i += 100) {
    const batch: LogLine[] = lines.slice(i, i + 100).map((text) => ({ text, source: 'test', receivedAt: 0 }));
    if (route) router.deliver(batch);
    else for (const j of run.jails) j.handle(batch);
  }
  return run;
}

describe('the line router', () => {
  it('gives every jail the same matches and counters as reading every line, on hostile variants of all samples', () => {
    const rnd = seededRandom(9);
    // Four rounds, then variants of some variants: edits on top of changed heads.
    const first = [1, 2, 3, 4].flatMap(() => samples.flatMap((s) => variants(s, rnd)));
    const lines = [...first, ...first.filter(() => rnd() < 0.2).flatMap((s) => variants(s, rnd))];
    expect(lines.length).toBeGreaterThan(40_000);
    const routed = feed(lines, true), every = feed(lines, false);
    for (const name of names) expect(routed.seen.get(name), name).toEqual(every.seen.get(name));
    expect(routed.offences).toEqual(every.offences);
    expect(routed.jails.map((j) => j.counters)).toEqual(every.jails.map((j) => j.counters));
    // The comparison means something only if the router left lines out and the filters matched plenty.
    const tested = routed.jails.reduce((n, j) => n + j.filter.counters.lines, 0);
    expect(tested).toBeLessThan(lines.length * names.length * 0.6);
    expect([...routed.seen.values()].every((l) => l.length > 0)).toBe(true);
  });

  it('lets the one jail of a source take its lines as bytes, and routes bytes where a jail of several can', () => {
    const bytes = (j: Jail): Jail => ({ ...j, takeBytes: () => undefined });
    const run = build();
    const [a, b] = [run.jails[0]!, run.jails[1]!];
    const one = bytes(a);
    expect(createLineRouter([one]).take).toBe(one.takeBytes);
    expect(createLineRouter([{ ...a, takeBytes: undefined }]).take).toBeUndefined();
    expect(createLineRouter([a, b]).take).toBeUndefined();
    expect(createLineRouter([a, bytes(b)]).take?.end).toBeTypeOf('function');
  });

  /**
   * The jails of `only` through the bytes router and fed every line as text, over hostile variants of every
   * sample: the same matches, offences and counters. Returns the share of the lines the sshd jail took as bytes.
   */
  const throughBytes = (only: readonly string[], seed: number, perChunk = 300, asciiOnly = false): number => {
    const rnd = seededRandom(seed);
    // ASCII only: no line goes as text, which would close the router's window (router.ts `deliver`).
    const lines = [1, 2, 3].flatMap(() => samples.flatMap((s) => variants(s, rnd))).filter((l) => !asciiOnly || /^[\x01-\x7f]*$/.test(l));
    // The file source's view of them: chunks of `perChunk` lines, split by the line splitter.
    const chunks: Buffer[] = [];
    for (let i = 0; i < lines.length; i += perChunk) chunks.push(Buffer.from(`${lines.slice(i, i + perChunk).join('\n')}\n`));
    // A chunk of a backlog read holds several of the windows the router decodes at a time.
    if (perChunk > 300) expect(Math.max(...chunks.map((c) => c.length))).toBeGreaterThan(3 * DECODE_WINDOW);
    const split = (): LineSplitter => createLineSplitter(DEFAULTS.maxLineLength, { overlong: 0, binary: 0, invalid: 0 });
    const batch = (texts: readonly string[]): LogLine[] => texts.map((text) => ({ text, source: 'test', receivedAt: 0 }));

    const every = build(['sshd'], only);
    const text = split();
    for (const c of chunks) for (const j of every.jails) j.handle(batch(text.push(c)));

    const routed = build(['sshd'], only);
    const sshd = routed.jails.findIndex((j) => j.name === 'sshd');
    let asBytes = 0;
    const inner = routed.jails[sshd]!;
    expect(inner.takeBytes).toBeDefined();
    routed.jails[sshd] = { ...inner, takeBytes: (b, s, e, source, at) => { asBytes++; inner.takeBytes!(b, s, e, source, at); } };
    const router = createLineRouter(routed.jails);
    const take = router.take!;
    const splitter = split();
    for (const c of chunks) {
      // As the file follower hands them on: the lines taken as text go on before the next line taken as bytes.
      let pending: string[] = [];
      const before = (): void => { if (pending.length > 0) router.deliver(batch(pending)); pending = []; };
      splitter.push(c, { take: (b, s, e) => { before(); take(b, s, e, 'test', 0); return true; }, text: (l) => { pending.push(l); } });
      before();
      take.end?.();
    }

    for (const name of only) expect(routed.seen.get(name), name).toEqual(every.seen.get(name));
    const byJail = (run: Run): string[] => [...run.offences].sort();
    expect(byJail(routed)).toEqual(byJail(every));
    expect(routed.jails.map((j) => j.counters)).toEqual(every.jails.map((j) => j.counters));
    expect(routed.jails[sshd]!.filter.counters.perRule).toEqual(every.jails[sshd]!.filter.counters.perRule);
    // It means something only if many lines went as bytes, pam-generic (no programs) was spared most of them,
    // and both matched plenty. (Of all 17 jails' samples and variants, ~13 % are lines sshd's filter can match.)
    expect(asBytes).toBeGreaterThan(lines.length * 0.1);
    const pam = only.indexOf('pam-generic');
    expect(routed.jails[pam]!.filter.counters.lines).toBeLessThan(every.jails[pam]!.filter.counters.lines * 0.5);
    expect(routed.jails[sshd]!.counters.matched).toBeGreaterThan(1000);
    expect(routed.jails[pam]!.counters.matched).toBeGreaterThan(100);
    return asBytes / lines.length;
  };

  it('gives every jail the same matches and counters through the bytes router as reading every line', () => {
    throughBytes(names, 10);
  });

  it('gives every jail the same through the bytes router when a chunk is decoded a window at a time', () => {
    throughBytes(names, 12, 5000);
    throughBytes(names, 14, 5000, true);
    throughBytes(['sshd', 'pam-generic'], 13, 5000, true);
  });

  it('gives the sshd and pam-generic jails the same through the bytes router, which reads no head for the pair', () => {
    // Beside a jail that names no program, a line without its texts goes to the sshd jail unread: so nearly
    // every line goes as bytes (all 17 jails: only the lines whose head names sshd, or is not certain).
    const share = throughBytes(['sshd', 'pam-generic'], 11);
    expect(share).toBeGreaterThan(0.9);
    expect(throughBytes(names, 11)).toBeLessThan(0.6);
  });

  it('hands the jail that takes bytes its lines in the order of the file, all of them by the end of the chunk', () => {
    // The bytes router holds that jail's lines back and hands them on together: before a batch of text (a
    // line that is not ASCII goes as text), when it holds many (4,096), and at the chunk's end at the latest.
    const run = build(['sshd'], ['sshd', 'pam-generic']);
    const sshd = run.jails[0]!;
    const got: string[] = [];
    const router = createLineRouter([
      { ...sshd, takeBytes: (b, s, e) => { got.push(b.toString('latin1', s, e)); }, handle: (lines) => { for (const l of lines) got.push(l.text); } },
      run.jails[1]!,
    ]);
    const take = router.take!;
    const line = (i: number): string => `Nov 25 16:55:59 web1 sshd[${i}]: Failed password for root from 10.0.${i >> 8 & 255}.${i & 255} port 22 ssh2${i >= 10_000 && i < 20_000 && i % 997 === 5 ? ' é' : ''}`;
    const splitter = createLineSplitter(DEFAULTS.maxLineLength, { overlong: 0, binary: 0, invalid: 0 });
    const sent: string[] = [];
    for (let chunk = 0; chunk < 3; chunk++) {
      const lines = Array.from({ length: 10_000 }, (_, i) => line(chunk * 10_000 + i));
      sent.push(...lines);
      let pending: string[] = [];
      const before = (): void => { if (pending.length > 0) router.deliver(pending.map((text) => ({ text, source: 't', receivedAt: 0 }))); pending = []; };
      splitter.push(Buffer.from(`${lines.join('\n')}\n`, 'utf8'), { take: (b, s, e) => { before(); take(b, s, e, 't', 0); return true; }, text: (l) => { pending.push(l); } });
      before();
      take.end?.();
      expect(got).toEqual(sent);
    }
    // The first and last chunks: ASCII only, more lines than it holds back at most.
    expect(sent.filter((l) => l.endsWith('é')).length).toBeGreaterThan(9);
  });

  it('loses only the line a jail fails on, however many lines it holds back, and reports the failure', () => {
    // A jail must not throw; should one, through a bug, its other lines and the other jails' still go through.
    const run = build(['sshd'], ['sshd', 'pam-generic']);
    const got: string[] = [];
    const pam: string[] = [];
    const pamToo: string[] = [];
    // Line 5000 goes on with the lines held before it, when they fill up; line 28,500 at its chunk's end.
    const bad = (t: string): boolean => t.includes('sshd[5000]') || t.includes('sshd[28500]');
    const router = createLineRouter([
      { ...run.jails[1]!, handle: (lines) => { if (lines.some((l) => l.text.endsWith('rhost=10.9.0.13'))) throw new Error('bug'); for (const l of lines) pam.push(l.text); } },
      { ...run.jails[0]!, takeBytes: (b, s, e) => { const t = b.toString('latin1', s, e); if (bad(t)) throw new Error('bug'); got.push(t); } },
      { ...run.jails[1]!, handle: (lines) => { for (const l of lines) pamToo.push(l.text); } },
    ]);
    const take = router.take!;
    const line = (i: number): string => i % 10 === 3
      ? `Nov 25 16:55:59 web1 sshd[${i}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.9.${i >> 8 & 255}.${i & 255}`
      : `Nov 25 16:55:59 web1 sshd[${i}]: Failed password for root from 10.0.${i >> 8 & 255}.${i & 255} port 22 ssh2`;
    const splitter = createLineSplitter(DEFAULTS.maxLineLength, { overlong: 0, binary: 0, invalid: 0 });
    const sent: string[] = [];
    const failures: unknown[] = [];
    for (let chunk = 0; chunk < 3; chunk++) {
      const lines = Array.from({ length: 10_000 }, (_, i) => line(chunk * 10_000 + i));
      sent.push(...lines);
      // As the file follower: a failure is caught (and reported) line by line, and at the end of the chunk.
      splitter.push(Buffer.from(`${lines.join('\n')}\n`), { take: (b, s, e) => { try { take(b, s, e, 't', 0); } catch (error) { failures.push(error); } return true; }, text: () => {} });
      try { take.end?.(); } catch (error) { failures.push(error); }
    }
    expect(got).toEqual(sent.filter((t) => !bad(t)));
    expect(failures).toHaveLength(3);
    // The pam-generic jail's failing chunk (the first: 10.9.0.13 is line 13) is its own loss, not the others'.
    const pamLines = sent.filter((t) => t.includes('pam_unix'));
    expect(pam).toEqual(pamLines.slice(1000));
    expect(pamToo).toEqual(pamLines);
  });

  it('gives every other jail its lines when one fails on them, on every path of the router', () => {
    const run = build([], ['sshd', 'pam-generic']);
    const [sshd, pam] = [run.jails[0]!, run.jails[1]!];
    const seen = new Map<string, string[]>();
    const recording = (j: Jail, as: string): Jail => ({ ...j, takeBytes: undefined, handle: (lines) => { seen.set(as, [...(seen.get(as) ?? []), ...lines.map((l) => l.text)]); } });
    const failing = (j: Jail): Jail => ({ ...j, takeBytes: undefined, handle: () => { throw new Error('bug'); } });
    const text = (i: number): string => `Nov 25 16:55:59 web1 sshd[${i}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.9.0.${i}`;
    const batch = [1, 2, 3].map((i) => ({ text: text(i), source: 't', receivedAt: 0 }));
    // A jail whose filter says nothing of what it reads: the router gives it every line, unread.
    const unrouted = (j: Jail): Jail => {
      const { programs: _programs, syslogOnly: _syslogOnly, ...filter } = j.filter;
      return { ...j, filter };
    };
    // Routed by program (sshd names one), then jails that say nothing of what they read: the jail after the
    // failing one gets the lines all the same, and the failure is thrown for the source to report.
    const plain = [failing(unrouted(pam)), recording(unrouted(pam), 'a'), recording(unrouted(pam), 'b')];
    for (const jails of [[failing(pam), recording(sshd, 'a'), recording(pam, 'b')], plain]) {
      seen.clear();
      expect(() => createLineRouter(jails).deliver(batch)).toThrow('bug');
      expect(seen.get('a')).toEqual(batch.map((l) => l.text));
      expect(seen.get('b')).toEqual(batch.map((l) => l.text));
    }
    // Lines held for the jail that reads bytes, which fails on them: the batch of text after them still goes on.
    seen.clear();
    const router = createLineRouter([{ ...sshd, takeBytes: () => { throw new Error('bug'); } }, recording(pam, 'b')]);
    const held = Buffer.from(`${text(4)}\n`);
    router.take!(held, 0, held.length - 1, 't', 0);
    expect(() => router.deliver(batch)).toThrow('bug');
    expect(seen.get('b')).toEqual([text(4), ...batch.map((l) => l.text)]);
  });

  it('offers a line to a filter only for its exact program word', () => {
    const run = build();
    const got: string[] = [];
    const sshd = run.jails.find((j) => j.name === 'sshd')!;
    const jails = [run.jails.find((j) => j.name === 'postfix')!, { ...sshd, handle: (lines: readonly LogLine[]) => { got.push(...lines.map((l) => l.text)); } }];
    const programs = ['sshd', 'sshd-session[2]', 'sshd_x', 'sshdx', 'sshd2', 'ssh', 'xsshd', 'SSHD', 'postfix/smtpd'];
    createLineRouter(jails).deliver(programs.map((p) => ({ text: `Nov 25 16:55:59 h ${p}: y`, source: 's', receivedAt: 0 })));
    expect(got).toEqual(['Nov 25 16:55:59 h sshd: y', 'Nov 25 16:55:59 h sshd-session[2]: y']);

    // The same read from the bytes; a line ends where it is said to, whatever bytes follow.
    const bytes: string[] = [];
    const taker = { ...sshd, handle: () => {}, takeBytes: (b: Buffer, s: number, e: number) => { bytes.push(b.toString('latin1', s, e)); } };
    const take = createLineRouter([jails[0]!, taker]).take!;
    for (const p of programs) {
      const b = Buffer.from(`Nov 25 16:55:59 h ${p}: y\n`);
      take(b, 0, b.length - 1, 's', 0);
    }
    for (const [line, cut] of [['Nov 25 16:55:59 h sshdx', 1], ['Nov 25 16:55:59 h sshd', 1], ['Nov 25 16:55:59 h sshd', 0]] as const) {
      take(Buffer.from(line), 0, line.length - cut, 's', 0);
    }
    take.end?.();
    expect(bytes).toEqual([...got, 'Nov 25 16:55:59 h sshd', 'Nov 25 16:55:59 h sshd']);
  });

  it('offers a line with no syslog head only to the filters that can start as it does, however many ways they differ', () => {
    // 16 filters, each of which starts with 'x' or 'y' at one of the first 8 places: 256 sets of them, more
    // than the router keeps lists of (MAX_ROUTE_LISTS), each a line's own.
    const seen = new Map<string, string[]>();
    const jail = (name: string, filter: Filter): Jail => createJail({
      config: { name, useLineTime: false } as Jail['config'], filter, sources: [], actions: [], notifiers: [],
      tracker: createTracker(DEFAULTS.tracker, { clock: { now: () => 0, setTimer: () => () => {} } }),
      whitelist: createCidrSet([]), hitsPerAddress: 3, isBanned: () => false, onOffence: () => {},
    });
    const jails = [build([], ['sshd']).jails[0]!];
    for (let at = 0; at < 8; at++) {
      for (const c of ['x', 'y']) {
        const def = parseFilterText(`failregex: ['.{${at}}${c}\\S* fail from <HOST>$']\n`, `${c}${at}.yaml`);
        if (!def.ok) throw new Error('Cannot parse');
        const inner = compileFilter(def.value, { modes: [], maxLineLength: 1000 });
        if (!inner.ok) throw new Error(inner.error);
        expect(inner.value.headless).toBeDefined();
        const log: string[] = [];
        seen.set(`${c}${at}`, log);
        jails.push(jail(`${c}${at}`, { ...inner.value, match: (line) => { log.push(line); return inner.value.match(line); } }));
      }
    }
    const lines = Array.from({ length: 256 }, (_, n) =>
      `${Array.from({ length: 8 }, (_, i) => ((n >> i) & 1 ? 'x' : 'y')).join('')} fail from 192.0.2.${n}`);
    expect(MAX_ROUTE_LISTS).toBeLessThan(lines.length);
    const router = createLineRouter(jails);
    for (const round of [0, 1]) router.deliver(lines.map((text) => ({ text, source: `s${round}`, receivedAt: 0 })));
    for (const [name, log] of seen) {
      const c = name[0]!, at = Number(name.slice(1));
      const own = lines.filter((l) => l[at] === c);
      expect(log, name).toEqual([...own, ...own]);
      expect(jails.find((j) => j.name === name)!.counters.matched, name).toBe(2 * own.length);
    }
  });

  it('offers a line whose head may be read in several ways only to the filters that can go on from one of them', () => {
    const run = build();
    let got: string[] = [];
    const jails = run.jails.map((j) => ({ ...j, handle: (lines: readonly LogLine[]) => { if (lines.length > 0) got.push(j.name); } }));
    const router = createLineRouter(jails);
    const takers = (text: string): string[] => {
      got = [];
      router.deliver([{ text, source: 's', receivedAt: 0 }]);
      return got;
    };
    // Exim's own log (an ISO time with a space): Exim's, and those whose <DATE> or <HOST> can start so.
    const own = ['dropbear', 'exim', 'nginx-botsearch', 'pam-generic', 'vsftpd'];
    expect(takers('2026-11-25 16:55:59 H=(x) [203.0.113.1]:5000 I=[192.0.2.1]:25 F=<a@b.c> rejected RCPT <c@d.e>: relay not permitted')).toEqual(own);
    expect(takers('2026-11-25 16:55:59 web1 sshd[1]: Failed password for root from 203.0.113.1 port 22 ssh2')).toEqual([...own, 'sshd'].sort());
    // FreeBSD's priority: the sshd filter, by what follows the host; Dovecot's own log, by its own prefix.
    expect(takers('Nov 25 16:55:59 <auth.info> fbsd sshd[1234]: Failed password for root from 203.0.113.1 port 22 ssh2'))
      .toEqual(['dovecot', 'dropbear', 'pam-generic', 'sshd', 'vsftpd']);
    expect(takers('Nov 25 16:55:59 imap-login: Info: Disconnected (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip=203.0.113.1, lip=192.0.2.1'))
      .toEqual(['dovecot', 'dropbear', 'pam-generic', 'vsftpd']);
  });

  it('offers a filter with no programs and no syslog prefix every line', () => {
    const run = build();
    const plain = run.jails.map((j) => ({ ...j, filter: { ...j.filter, programs: undefined, syslogOnly: undefined } }));
    const got: number[] = [];
    const jails = [run.jails[0]!, { ...plain[1]!, handle: (lines: readonly LogLine[]) => { got.push(lines.length); } }];
    createLineRouter(jails).deliver(['x', 'Nov 25 16:55:59 h sshd[1]: y', '[Wed] z'].map((text) => ({ text, source: 's', receivedAt: 0 })));
    expect(got).toEqual([3]);
  });
});

describe('programWord', () => {
  it('reads the first word of the program after a certain head', () => {
    expect(programWord('Nov 25 16:55:59 web1 sshd-session[12]: x')).toBe('sshd');
    expect(programWord('2026-11-25T16:55:59.1+00:00 web1 postfix/smtpd[3]: x')).toBe('postfix');
    expect(programWord('Nov 25 16:55:59 web1 (sd-pam): x')).toBe('');
  });

  it('is not sure of a priority, an ISO time with a space, or a host that could be a program', () => {
    for (const line of ['Nov 25 16:55:59 <auth.info> web1 sshd: x', '2026-11-25 16:55:59 web1 sshd: x',
      'Nov 25 16:55:59 imap-login: Info: x', 'Wed Nov 25 16:55:59 2026 [pid 1] x', 'Nov 25 16:55:59 [pid 1] x',
      'Nov 25 16:55:59 a\tb sshd: x', `Nov 25 16:55:59 ${'h'.repeat(256)} sshd: x`]) expect(programWord(line), line).toBeUndefined();
  });
});

describe('requiresSyslogHead', () => {
  it('holds only for a prefix that starts with <SYSLOG> and has no alternative outside a group', () => {
    expect(requiresSyslogHead('<SYSLOG>sshd(?:-a|-b)?(?:\\[\\d{1,10}\\])?: ')).toBe(true);
    expect(requiresSyslogHead('<SYSLOG>[|(]x')).toBe(true);
    expect(requiresSyslogHead('<SYSLOG>a|b')).toBe(false);
    expect(requiresSyslogHead('<SYSLOG>a\\(|b')).toBe(false);
    expect(requiresSyslogHead('(?:<SYSLOG>)?a')).toBe(false);
    expect(requiresSyslogHead('<SYSLOG>?a')).toBe(false);
    expect(requiresSyslogHead('')).toBe(false);
  });
});
