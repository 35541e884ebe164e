import { createReadStream } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { DEFAULTS } from '../config/defaults.js';
import { formatConfigError, type BanConfig, type JailConfig, type TrackerConfig } from '../config/types.js';
import type { Address } from '../core/address.js';
import { createCidrSet, type CidrSet } from '../core/cidr.js';
import { ManualClock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import { computeBan } from '../bans/policy.js';
import { compileFilter } from '../filters/compile.js';
import type { Filter } from '../filters/filter.js';
import { findFilter, loadFilterFile, parseFilterText, shippedFiltersDir } from '../filters/load.js';
import { HOST_PATTERN } from '../filters/host.js';
import { createTracker } from '../trackers/index.js';
import { withExtraLineTime } from '../sources/line-time-extra.js';
import { configOption, EXIT, parse, type Io } from './args.js';
import { readLines } from './line-reader.js';

export const testHelp = `Usage: dictdefence test [--filter NAME | --regex RE] [-c FILE] [--jail J] [--json] [--show-missed] FILE|-

Runs a filter over a log (a file, or - for standard input) the way the daemon would, timing failures by
the timestamps inside the lines, and reports:
  - how many lines each rule matched (and which were ignored, or carried an invalid address),
  - which addresses would be banned under the jail's tracker and ban policy,
  - lines that look like failures (an address and a failure word) but matched no rule.

Options:
      --filter NAME   a filter by name: filters/NAME.yaml beside the config, then the shipped filters
                      (default: the filter of --jail, or "sshd")
      --regex RE      a single failregex with <HOST>; anchored at the start of the line only if it starts with ^
  -c, --config FILE   take filters, whitelist, tracker and ban policy from this config
      --jail NAME     the jail whose tracker and ban policy to use (default: the jail using the filter)
      --mode NAME     enable a filter mode (repeatable), e.g. --mode aggressive
      --json          one JSON object per matched line {"line","address","filter","rule"}, then {"summary":…}
      --show-missed   list every missed line (default: the first 5)
  -h, --help          show this help

Without -c the tracker is "window: 5 failures in 10m" and the ban time 1h.
`;

const FAILURE_WORDS = /fail|invalid|illegal|denied|refused|bad |authenticat|unauthori[sz]ed|not allowed|reject|error/i;
const ADDRESS_LIKE = new RegExp(HOST_PATTERN.replace('(?<host>', '(?:'));

interface Setup { filter: Filter; name: string; tracker: TrackerConfig; ban: BanConfig; whitelist: CidrSet }

function setUp(values: Record<string, string | boolean | string[] | undefined>): { ok: true; value: Setup } | { ok: false; error: string; code: number } {
  const configFile = values.config as string | undefined;
  let jail: JailConfig | undefined;
  let dirs = [shippedFiltersDir, 'filters'];
  let whitelist = createCidrSet([]);
  let maxLineLength: number = DEFAULTS.maxLineLength;
  if (configFile) {
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
    const yaml = `failregex:\n  - ${JSON.stringify(re.startsWith('^') ? re.slice(1) : `.*?${re}`)}\n`;
    def = parseFilterText(yaml, '--regex');
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
    // Web server logs carry their time where line-time.ts does not look: time them too.
    value: { filter: withExtraLineTime(filter.value), name, tracker: jail?.tracker ?? DEFAULTS.tracker, ban: jail?.ban ?? DEFAULTS.ban, whitelist },
  };
}

interface WouldBan { address: Address; bans: number; failures: number; firstBanLine: number }

export async function testCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parse(argv, {
    ...configOption, filter: { type: 'string' }, regex: { type: 'string' }, jail: { type: 'string' },
    mode: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'show-missed': { type: 'boolean' },
  });
  if (!a.ok) { io.err(`${a.error}\n${testHelp}`); return EXIT.usage; }
  if (a.values.help) { io.out(testHelp); return EXIT.ok; }
  if (a.positionals.length !== 1) { io.err(`Name one log file, or - for standard input\n${testHelp}`); return EXIT.usage; }
  if (a.values.filter !== undefined && a.values.regex !== undefined) { io.err('Use --filter or --regex, not both\n'); return EXIT.usage; }
  const s = setUp(a.values);
  if (!s.ok) { io.err(`${s.error}\n`); return s.code; }
  const { filter, tracker: trackerCfg, ban: banCfg, whitelist } = s.value;
  const input = a.positionals[0] as string;
  const json = a.values.json === true;
  const showMissed = a.values['show-missed'] === true;

  const clock = new ManualClock(0);
  const tracker = createTracker(trackerCfg, { clock });
  const wouldBan = new Map<Address, WouldBan>();
  const bannedUntil = new Map<Address, number | null>();
  const addresses = new Set<Address>();
  const missed: { line: number; text: string }[] = [];
  let missedCount = 0, whitelisted = 0, lineNo = 0, lastTime = Date.now();
  const started = process.hrtime.bigint();
  let jsonBuf = '';

  const stream = input === '-' ? io.stdin : createReadStream(input, { highWaterMark: 1 << 16 });
  try {
    for await (const lines of readLines(stream as AsyncIterable<Buffer>)) {
      for (const text of lines) {
        lineNo++;
        const m = filter.match(text);
        if (!m) {
          if (text.length <= 8192 && FAILURE_WORDS.test(text) && ADDRESS_LIKE.test(text)) {
            missedCount++;
            if (showMissed ? missed.length < 10_000 : missed.length < 5) missed.push({ line: lineNo, text });
          }
          continue;
        }
        if (json) {
          jsonBuf += `{"line":${lineNo},"address":"${m.address}","filter":${JSON.stringify(s.value.name)},"rule":${m.rule}}\n`;
          if (jsonBuf.length > 1 << 16) { io.out(jsonBuf); jsonBuf = ''; }
        }
        addresses.add(m.address);
        if (whitelist.has(m.address)) { whitelisted++; continue; }
        const at = m.time ?? lastTime;
        lastTime = at;
        if (at > clock.now()) clock.set(at);
        const until = bannedUntil.get(m.address);
        if (until === null || (until !== undefined && at < until)) continue;
        const offence = tracker.record({ address: m.address, jail: 'test', at, line: text });
        if (!offence) continue;
        const w = wouldBan.get(m.address) ?? { address: m.address, bans: 0, failures: 0, firstBanLine: lineNo };
        const ban = computeBan(offence, w.bans, banCfg);
        w.bans++; w.failures += offence.failures;
        wouldBan.set(m.address, w);
        bannedUntil.set(m.address, ban.until);
      }
    }
  } catch (e) {
    io.err(`Cannot read "${input}": ${(e as Error).message}\n`);
    return EXIT.failure;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = filter.counters;
  const matched = c.perRule.reduce((x, y) => x + y, 0);
  const summary = {
    filter: s.value.name, lines: lineNo, matched, addresses: addresses.size, ignored: c.ignored, badAddress: c.badAddress,
    overlong: c.overlong, whitelisted, missed: missedCount, seconds: Number(seconds.toFixed(3)),
    linesPerSecond: Math.round(lineNo / Math.max(seconds, 1e-9)),
    rules: filter.rules.map((source, rule) => ({ rule, matches: c.perRule[rule] ?? 0, source })),
    wouldBan: [...wouldBan.values()].map((w) => ({ address: w.address, bans: w.bans, firstBanLine: w.firstBanLine })),
    tracker: describeTracker(trackerCfg),
  };
  if (json) { io.out(`${jsonBuf}${JSON.stringify({ summary })}\n`); return EXIT.ok; }

  let out = `Filter ${s.value.name} on ${input === '-' ? 'standard input' : input}: ${lineNo} lines in ${seconds.toFixed(2)} s (${summary.linesPerSecond.toLocaleString('en')} lines/s)\n\nRules:\n`;
  for (const r of summary.rules) out += `  #${String(r.rule).padEnd(3)} ${String(r.matches).padStart(9)}  ${r.source.length > 100 ? `${r.source.slice(0, 97)}...` : r.source}\n`;
  out += `\nMatched ${matched} lines from ${addresses.size} addresses; ignored ${c.ignored}, invalid address ${c.badAddress}, overlong ${c.overlong}, whitelisted ${whitelisted}\n`;
  out += `\nWould ban under ${summary.tracker}: ${wouldBan.size} address${wouldBan.size === 1 ? '' : 'es'}\n`;
  const top = [...wouldBan.values()].sort((x, y) => y.bans - x.bans || x.firstBanLine - y.firstBanLine).slice(0, 20);
  for (const w of top) out += `  ${w.address.padEnd(40)} ${String(w.bans).padStart(4)} ban${w.bans === 1 ? ' ' : 's'}  first at line ${w.firstBanLine}\n`;
  if (wouldBan.size > top.length) out += `  … and ${wouldBan.size - top.length} more (--json lists all)\n`;
  out += `\nMissed (an address and a failure word, but no rule matched): ${missedCount}\n`;
  for (const m of missed) out += `  line ${m.line}: ${m.text.length > 200 ? `${m.text.slice(0, 197)}...` : m.text}\n`;
  if (missedCount > missed.length) out += `  … ${missedCount - missed.length} more (--show-missed lists them)\n`;
  io.out(out);
  return EXIT.ok;
}

function describeTracker(t: TrackerConfig): string {
  return t.type === 'window' ? `window: ${t.maxFailures} failures in ${formatDuration(t.periodMs)}` : `ema: rate ${t.rate}/s, alpha ${t.alpha}`;
}
