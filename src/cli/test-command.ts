import { DEFAULTS } from '../config/defaults.js';
import { formatConfigError, type BanConfig, type JailConfig, type TrackerConfig } from '../config/types.js';
import { ipv4Address, parseIPv4Span, type Address } from '../core/address.js';
import { createCidrSet, type CidrSet } from '../core/cidr.js';
import { ManualClock } from '../core/clock.js';
import { computeBan } from '../bans/policy.js';
import { compileFilter } from '../filters/compile.js';
import type { Offence } from '../core/types.js';
import type { Filter, Match, RuleInfo } from '../filters/filter.js';
import { NO_KEY, NO_MATCH, OTHER_ADDRESS, scanIPv4Of, UNSURE, type IPv4Hit } from '../filters/fast/index.js';
import { findFilter, loadFilterFile, parseFilterText, shippedFiltersDir } from '../filters/load.js';
import { HOST_PATTERN } from '../filters/host.js';
import { createTracker } from '../trackers/index.js';
import { withExtraLineTime } from '../sources/line-time-extra.js';
import { ownString } from '../core/own-string.js';
import { configOption, EXIT, parse, type Io } from './args.js';
import { fileChunks, numberedLines, type InputCounters } from './test-input.js';
import { jsonLine, report, type Outcome, type Sample, type WouldBan } from './test-report.js';

export const testHelp = `Usage: dictdefence test [--filter NAME | --regex RE] [-c FILE] [--jail J] [--mode M]... [--samples N]
                        [--show-missed] [--json] FILE|-

Runs a filter over a log (a file, or - for standard input) the way the daemon would, timing failures by
the timestamps inside the lines, and reports:
  - how many lines each rule matched (and which were ignored, or carried an invalid address),
  - with --samples N, up to N matched lines per rule,
  - which addresses would be banned under the jail's tracker and ban policy,
  - with --show-missed, lines that look like failures (an address and a failure word) but matched no rule.

Options:
      --filter NAME    a filter by name: filters/NAME.yaml beside the config, then the shipped filters
                       (default: the filter of --jail, or "sshd")
      --regex RE       a single failregex with <HOST> (and <SYSLOG>, <DATE> if wanted); anchored at the
                       start of the line when it starts with ^, else searched anywhere in the line
  -c, --config FILE    take filters, whitelist, tracker, ban policy and line length cap from this config
      --jail NAME      the jail whose tracker and ban policy to use (default: the jail using the filter)
      --mode NAME      enable a filter mode (repeatable), e.g. --mode aggressive
      --samples N      show up to N matched lines per rule (default 0)
      --show-missed    list lines with an address and a failure word that no rule matched (up to 10000);
                       without it, such lines are not looked for, and the match runs at full speed
      --json           one JSON object per matched line {"line","address","filter","rule"}, then {"summary":…}
  -h, --help           show this help

Without -c the tracker is "window: 5 failures in 10m", the ban time 1h and the line length cap 8192 bytes.
Lines over the cap and lines of binary data (NUL bytes) are skipped and counted; lines with invalid UTF-8 are
counted and matched all the same.
`;

const FAILURE_WORDS = /fail|invalid|illegal|denied|refused|bad |authenticat|unauthori[sz]ed|not allowed|reject|error|mismatch|unknown user/i;
const ADDRESS_LIKE = new RegExp(HOST_PATTERN.replace('(?<host>', '(?:'));
const MAX_MISSED = 10_000;

interface Setup {
  filter: Filter; compiled: Filter; ruleInfo: readonly RuleInfo[]; name: string; tracker: TrackerConfig; ban: BanConfig;
  whitelist: CidrSet; maxLineLength: number;
}
type Values = Record<string, string | boolean | string[] | undefined>;
type SetupResult = { ok: true; value: Setup } | { ok: false; error: string; code: number };

async function setUp(values: Values): Promise<SetupResult> {
  const configFile = values.config as string | undefined;
  let jail: JailConfig | undefined;
  let dirs = [shippedFiltersDir, 'filters'];
  let whitelist = createCidrSet([]);
  let maxLineLength: number = DEFAULTS.maxLineLength;
  if (configFile) {
    // Only with -c: the config loader brings every action, source and notifier, a third of a short run's start-up.
    const { loadConfig } = await import('../config/load.js');
    const r = loadConfig(configFile);
    if (!r.ok) return { ok: false, code: EXIT.failure, error: r.errors.map(formatConfigError).join('\n') };
    dirs = [...r.config.filterDirs];
    whitelist = createCidrSet(r.config.whitelist);
    maxLineLength = r.config.maxLineLength;
    const jails = [...r.config.jails.values()];
    jail = values.jail ? r.config.jails.get(values.jail as string)
      : jails.find((j) => j.filter.name === (values.filter ?? jails[0]?.filter.name));
    if (values.jail && !jail) return { ok: false, code: EXIT.usage, error: `Unknown jail "${values.jail}"` };
  } else if (values.jail) {
    return { ok: false, code: EXIT.usage, error: '--jail needs -c FILE' };
  }
  const modes = (values.mode as string[] | undefined) ?? (jail ? [...jail.filter.modes] : []);
  let def;
  let name: string;
  if (values.regex !== undefined) {
    const re = values.regex as string;
    name = 'regex';
    // Unanchored: searched anywhere, as fail2ban-regex does; the safety check then sees the .*? in front.
    const rule = re.startsWith('^') ? re.slice(1) : `.*?(?:${re})`;
    def = parseFilterText(`failregex:\n  - ${JSON.stringify(rule)}\n`, '--regex');
  } else {
    name = (values.filter as string | undefined) ?? jail?.filter.name ?? 'sshd';
    const file = findFilter(name, dirs);
    if (!file.ok) return { ok: false, code: EXIT.failure, error: file.error };
    def = loadFilterFile(file.value);
  }
  if (!def.ok) return { ok: false, code: EXIT.failure, error: def.errors.map(formatConfigError).join('\n') };
  const filter = compileFilter(def.value, { modes, maxLineLength, withTime: true });
  if (!filter.ok) return { ok: false, code: EXIT.failure, error: filter.error };
  return {
    ok: true,
    value: {
      filter: withExtraLineTime(filter.value), compiled: filter.value, ruleInfo: filter.value.ruleInfo ?? [], name, whitelist, maxLineLength,
      tracker: jail?.tracker ?? DEFAULTS.tracker, ban: jail?.ban ?? DEFAULTS.ban,
    },
  };
}

export async function testCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parse(argv, {
    ...configOption, filter: { type: 'string' }, regex: { type: 'string' }, jail: { type: 'string' },
    mode: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'show-missed': { type: 'boolean' },
    samples: { type: 'string' },
  });
  if (!a.ok) { io.err(`${a.error}\n${testHelp}`); return EXIT.usage; }
  if (a.values.help) { io.out(testHelp); return EXIT.ok; }
  if (a.positionals.length !== 1) { io.err(`Name one log file, or - for standard input\n${testHelp}`); return EXIT.usage; }
  if (a.values.filter !== undefined && a.values.regex !== undefined) { io.err('Use --filter or --regex, not both\n'); return EXIT.usage; }
  const perRule = a.values.samples === undefined ? 0 : Number(a.values.samples);
  if (!Number.isInteger(perRule) || perRule < 0) { io.err(`Invalid --samples ${JSON.stringify(a.values.samples)}: expected a whole number\n`); return EXIT.usage; }
  const s = await setUp(a.values);
  if (!s.ok) { io.err(`${s.error}\n`); return s.code; }
  const { filter, whitelist } = s.value;
  const input = a.positionals[0] as string;
  const json = a.values.json === true;
  const showMissed = a.values['show-missed'] === true;

  const clock = new ManualClock(0);
  const tracker = createTracker(s.value.tracker, { clock });
  // Per address: an IPv4 address by its 32-bit value as int32 (what the bytes path has), any other by its text.
  type Key = number | Address;
  const wouldBan = new Map<Key, WouldBan>();
  // Every address matched, with the end of its current ban: one lookup per match answers both "seen?" and
  // "banned?". NOT_BANNED is before every time; a permanent ban lasts to Infinity.
  const NOT_BANNED = -Infinity;
  const addresses = new Map<Key, number>();
  const samples: Sample[][] = filter.rules.map(() => []);
  const missed: Sample[] = [];
  const input$: InputCounters = { overlong: 0, binary: 0, invalid: 0 };
  let missedCount = 0, whitelisted = 0, lines = 0, lastTime = Date.now();
  const started = process.hrtime.bigint();
  let jsonBuf = '';

  // The current line: a string, or (on the bytes path) where it lies, decoded only when something needs it.
  let text: string | undefined, buf: Buffer | undefined, from = 0, to = 0;
  const lineText = (): string => (text ??= buf!.toString('latin1', from, to));

  /** What is shown of a match: samples, JSON lines. */
  const show = (rule: number, n: number, address: Address | undefined, v4: number): void => {
    const own = samples[rule];
    if (own && own.length < perRule) own.push({ line: n, text: ownString(lineText()) });
    if (json) {
      jsonBuf += jsonLine(n, address ?? ipv4Address(v4), s.value.name, rule);
      if (jsonBuf.length > 1 << 16) { io.out(jsonBuf); jsonBuf = ''; }
    }
  };

  /** A ban the tracker's verdict would bring: counted, and the address's ban end noted. */
  const ban = (offence: Offence, key: Key, n: number): void => {
    const w = wouldBan.get(key) ?? { address: offence.address, bans: 0, firstBanLine: n };
    const b = computeBan(offence, w.bans, s.value.ban);
    w.bans++;
    wouldBan.set(key, w);
    addresses.set(key, b.until ?? Infinity);
  };

  const recordTracked4 = tracker.recordTrackedIPv4?.bind(tracker);
  const recordTracked = tracker.recordTracked?.bind(tracker);
  const recordTracked6 = tracker.recordTrackedIPv6?.bind(tracker);
  /**
   * What the daemon would do with a failure of `address` (or, without it, the IPv4 address `v4`) at `time`;
   * `words` holds the key words of an IPv6 `address` at `keyAt`, where the bytes path read them.
   */
  const judge = (address: Address | undefined, v4: number, time: number | undefined, n: number, words: Int32Array = NO_KEY, keyAt = -1): void => {
    // An address the tracker holds was seen before, is not whitelisted (it would not be tracked) and is not
    // banned (its ban took it out of the tracker): nothing to look up first. Most matches are such.
    const at = time ?? lastTime;
    const known = address === undefined
      ? recordTracked4 !== undefined && recordTracked4(v4, 'test', at)
      : keyAt >= 0 && recordTracked6 !== undefined
        ? recordTracked6(words, keyAt, address, 'test', at)
        : recordTracked !== undefined && recordTracked(address, 'test', at);
    if (known !== false) {
      lastTime = at;
      if (at > clock.now()) clock.set(at);
      if (known !== undefined) ban(known, address ?? (v4 | 0), n);
      return;
    }
    const key: Key = address ?? (v4 | 0);
    let until = addresses.get(key);
    if (until === undefined) addresses.set(key, until = NOT_BANNED);
    const listed = address === undefined ? whitelist.hasIPv4(v4)
      : keyAt >= 0 ? whitelist.hasIPv6(address, words, keyAt) : whitelist.has(address);
    if (listed) { whitelisted++; return; }
    lastTime = at;
    if (at > clock.now()) clock.set(at);
    if (at < until) return;
    // The tracker keeps times, not lines (the daemon's jail keeps those for `why`).
    let offence: Offence | undefined;
    if (address === undefined && tracker.recordIPv4) offence = tracker.recordIPv4(v4, 'test', at);
    else if (address !== undefined && keyAt >= 0 && tracker.recordIPv6) offence = tracker.recordIPv6(words, keyAt, address, 'test', at);
    else offence = tracker.record({ address: address ?? ipv4Address(v4), jail: 'test', at, line: '' });
    if (offence) ban(offence, key, n);
  };

  const handle = (m: Match, n: number): void => {
    show(m.rule, n, m.address, 0);
    // An IPv4 address takes the same key whichever path found it.
    const v4 = parseIPv4Span(m.address, 0, m.address.length);
    if (v4 >= 0) judge(undefined, v4, m.time, n);
    else judge(m.address, 0, m.time, n);
  };

  // The bytes entry of the fast path, when the filter has one; --show-missed needs every unmatched line's text.
  const scan = showMissed ? undefined : scanIPv4Of(s.value.compiled);
  const hit: IPv4Hit = { v4: 0, time: 0, address: '' as Address, rule: 0, key: NO_KEY, keyAt: 0 };
  let now = Date.now();
  let offered = 0;
  const sink = scan && ((b: Buffer, start: number, end: number, n: number): boolean => {
    // The clock for a syslog time's year, read now and then: a long stdin stream may run past New Year.
    if ((++offered & 0xfff) === 0) now = Date.now();
    const r = scan(b, start, end, now, hit);
    if (r === UNSURE) return false;
    lines++;
    if (r === NO_MATCH) return true;
    text = undefined; buf = b; from = start; to = end;
    // The filter is compiled with times, and both kinds of match come with one (a line without is UNSURE).
    if (r === OTHER_ADDRESS) {
      if (perRule > 0 || json) show(hit.rule, n, hit.address, 0);
      judge(hit.address, 0, hit.time, n, hit.key, hit.keyAt);
      return true;
    }
    if (perRule > 0 || json) show(r, n, undefined, hit.v4);
    judge(undefined, hit.v4, hit.time, n);
    return true;
  });

  /** Line `n`, as text. */
  const textLine = (t: string, n: number): void => {
    lines++;
    const m = filter.match(t);
    if (m) {
      text = t;
      handle(m, n);
    } else if (showMissed && FAILURE_WORDS.test(t) && ADDRESS_LIKE.test(t)) {
      // Only with --show-missed: two more regexes on every unmatched line would halve the speed.
      missedCount++;
      if (missed.length < MAX_MISSED) missed.push({ line: n, text: ownString(t) });
    }
  };

  const stream = input === '-' ? io.stdin : fileChunks(input);
  try {
    // The lines the bytes path leaves (not ASCII, unsure) are matched in their place among the others: the
    // verdicts depend on the order of the failures, as they do in the daemon.
    for await (const batch of numberedLines(stream as AsyncIterable<Buffer>, s.value.maxLineLength, input$, sink, sink && textLine)) {
      const { first, lines: texts, places } = batch;
      for (let i = 0; i < texts.length; i++) textLine(texts[i]!, first + places[i]!);
    }
  } catch (e) {
    io.err(`Cannot read "${input}": ${(e as Error).message}\n`);
    return EXIT.failure;
  }
  const outcome: Outcome = {
    filter: s.value.name, input: input === '-' ? 'standard input' : input, lines, seconds: Number(process.hrtime.bigint() - started) / 1e9,
    counters: filter.counters, ruleInfo: s.value.ruleInfo, rules: filter.rules, samples, addresses: addresses.size,
    whitelisted, input$, missed: showMissed ? { count: missedCount, lines: missed } : undefined,
    wouldBan: [...wouldBan.values()], tracker: s.value.tracker,
  };
  io.out(json ? `${jsonBuf}${JSON.stringify({ summary: report(outcome).json })}\n` : report(outcome).text);
  return EXIT.ok;
}
