import type { TrackerConfig } from '../config/types.js';
import type { Address } from '../core/address.js';
import { formatDuration } from '../core/duration.js';
import type { FilterCounters, RuleInfo } from '../filters/filter.js';
import type { InputCounters } from './test-input.js';

/** What `dictdefence test` prints, in text or as the JSON summary. */
export interface Sample { readonly line: number; readonly text: string }
export interface WouldBan { address: Address; bans: number; firstBanLine: number }

export interface Outcome {
  readonly filter: string;
  readonly input: string;
  readonly lines: number;
  readonly seconds: number;
  readonly counters: FilterCounters;
  readonly ruleInfo: readonly RuleInfo[];
  readonly rules: readonly string[];
  readonly samples: readonly (readonly Sample[])[];
  readonly addresses: number;
  readonly whitelisted: number;
  readonly input$: InputCounters;
  /** Present only with --show-missed. */
  readonly missed: { readonly count: number; readonly lines: readonly Sample[] } | undefined;
  readonly wouldBan: readonly WouldBan[];
  readonly tracker: TrackerConfig;
}

/**
 * `n` with commas between groups of three digits, as `toLocaleString('en')` writes it, without loading ICU's
 * number formats (~15 ms of a short run's start-up, measured).
 */
export const grouped = (n: number): string => String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export const jsonLine = (line: number, address: Address, filter: string, rule: number): string =>
  `{"line":${line},"address":"${address}","filter":${JSON.stringify(filter)},"rule":${rule}}\n`;

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

function describeTracker(t: TrackerConfig): string {
  return t.type === 'window' ? `window: ${t.maxFailures} failures in ${formatDuration(t.periodMs)}` : `ema: rate ${t.rate}/s, alpha ${t.alpha}`;
}

export function report(o: Outcome): { text: string; json: unknown } {
  const c = o.counters;
  const matched = c.perRule.reduce((x, y) => x + y, 0);
  const linesPerSecond = Math.round(o.lines / Math.max(o.seconds, 1e-9));
  const rules = o.rules.map((source, rule) => {
    const info = o.ruleInfo[rule];
    return {
      rule, key: info?.key ?? `failregex[${rule}]`, where: info?.where ?? null, text: info?.text ?? source, source,
      matches: c.perRule[rule] ?? 0, samples: o.samples[rule] ?? [],
    };
  });
  const skipped = { overlong: o.input$.overlong, binary: o.input$.binary + c.binary, invalidUtf8: o.input$.invalid };
  const json = {
    filter: o.filter, lines: o.lines, matched, addresses: o.addresses, ignored: c.ignored, badAddress: c.badAddress,
    ...skipped, whitelisted: o.whitelisted, seconds: Number(o.seconds.toFixed(3)), linesPerSecond, rules,
    missed: o.missed ? { count: o.missed.count, lines: o.missed.lines } : null,
    wouldBan: o.wouldBan.map((w) => ({ address: w.address, bans: w.bans, firstBanLine: w.firstBanLine })),
    tracker: describeTracker(o.tracker),
  };

  let out = `Filter ${o.filter} on ${o.input}: ${o.lines} lines in ${o.seconds.toFixed(2)} s (${grouped(linesPerSecond)} lines/s)\n\nRules:\n`;
  for (const r of rules) {
    out += `  #${String(r.rule).padEnd(3)} ${String(r.matches).padStart(9)}  ${r.key}${r.where ? ` (${r.where})` : ''}\n`;
    out += `        ${cut(r.text, 110)}\n`;
    for (const s of r.samples) out += `        line ${s.line}: ${cut(s.text, 200)}\n`;
  }
  out += `\nMatched ${matched} lines from ${o.addresses} addresses; ignored ${c.ignored}, invalid address ${c.badAddress}, whitelisted ${o.whitelisted}\n`;
  out += `Skipped: ${skipped.overlong} over the length cap, ${skipped.binary} binary (NUL bytes); ${skipped.invalidUtf8} with invalid UTF-8 (matched all the same)\n`;
  out += `\nWould ban under ${json.tracker}: ${o.wouldBan.length} address${o.wouldBan.length === 1 ? '' : 'es'}\n`;
  const top = [...o.wouldBan].sort((x, y) => y.bans - x.bans || x.firstBanLine - y.firstBanLine).slice(0, 20);
  for (const w of top) out += `  ${w.address.padEnd(40)} ${String(w.bans).padStart(4)} ban${w.bans === 1 ? ' ' : 's'}  first at line ${w.firstBanLine}\n`;
  if (o.wouldBan.length > top.length) out += `  … and ${o.wouldBan.length - top.length} more (--json lists all)\n`;
  if (o.missed) {
    out += `\nMissed (an address and a failure word, but no rule matched): ${o.missed.count}\n`;
    for (const m of o.missed.lines) out += `  line ${m.line}: ${cut(m.text, 200)}\n`;
    if (o.missed.count > o.missed.lines.length) out += `  … ${o.missed.count - o.missed.lines.length} more\n`;
  } else {
    out += '\nRun with --show-missed to list lines that look like failures but matched no rule.\n';
  }
  return { text: out, json };
}
