// Turns the bench's figures into the printed table and the target verdicts (issue 9's targets; the same
// list is in docs/performance.md).
const f = (x, d = 2) => (x === null || x === undefined ? '–' : x.toFixed(d));
const k = (x) => (x === null || x === undefined ? '–' : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e4 ? `${(x / 1e3).toFixed(0)} k` : x.toFixed(0));
const mib = (b) => (b === null || b === undefined ? '–' : `${(b / 2 ** 20).toFixed(0)} MiB`);
/**
 * `x` to two decimals, or to as many more (up to six) as it takes not to read as the bar itself: 1.996× printed
 * as "2.00×" beside MISS, or 1.996 ms as "2.00 ms" beside met, would say the opposite of the verdict.
 */
const near = (x, bar) => {
  let d = 2;
  while (d < 6 && x !== bar && Number(x.toFixed(d)) === bar) d++;
  return x.toFixed(d);
};
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

function throughputTable(rows, title) {
  const out = [title, `  ${pad('', 28)}${lpad('lines/s', 9)}${lpad('× base', 8)}${lpad('lines/CPU-s', 13)}${lpad('× base', 8)}${lpad('wall s', 8)}${lpad('peak RSS', 10)}${lpad('matches', 10)}  command`];
  for (const r of rows) {
    if (r.missing) { out.push(`  ${pad(r.name, 28)}${lpad('not installed', 9)}  ${r.command.replace(/^not installed /, '')}`); continue; }
    out.push(`  ${pad(r.name, 28)}${lpad(k(r.linesPerS), 9)}${lpad(f(r.ratio), 8)}${lpad(k(r.linesPerCpuS), 13)}${lpad(f(r.cpuRatio), 8)}${lpad(f(r.wallS), 8)}${lpad(mib(r.rssBytes), 10)}${lpad(r.matches ?? '–', 10)}  ${r.command}`);
  }
  return out;
}

/** Each target: [label, figure, met?]; `null` met means not measured. */
export function verdicts(res) {
  const t = [];
  const dd = res.sshd?.find((r) => r.name === 'dictdefence');
  if (dd) {
    t.push(['sshd full match path ≥ 2× naive+tracker (lines/s, same run)', `${near(dd.ratio, 2)}× (CPU ${f(dd.cpuRatio)}×)`, dd.ratio >= 2]);
    t.push(['  peak RSS of that run < 100 MB', mib(dd.rssBytes), dd.rssBytes < 100e6]);
  }
  const lib = res.library?.rows?.find((r) => r.name.startsWith('all '));
  if (lib) t.push([`all ${res.library.filters} filters on the mixed corpus ≥ 1× naive+tracker`, `${near(lib.ratio, 1)}× (CPU ${f(lib.cpuRatio)}×)`, lib.ratio >= 1]);
  const lat = res.latency;
  if (lat && !lat.skipped) {
    t.push(['line→ban p50 < 2 ms (daemon part)', `${near(lat.daemonMs.p50, 2)} ms`, lat.daemonMs.p50 < 2]);
    t.push(['line→ban p99 < 10 ms (daemon part)', `${near(lat.daemonMs.p99, 10)} ms`, lat.daemonMs.p99 < 10]);
  }
  const mem = res.memory;
  if (mem) {
    t.push([`${mem.addresses.toLocaleString('en')} tracked addresses × ${mem.failures} failures < 150 MB RSS`, mib(mem.rssBytes), mem.rssBytes < 150e6]);
    t.push(['idle daemon < 60 MB RSS', mib(mem.idleBytes), mem.idleBytes < 60e6]);
  }
  const nft = res.restore?.rows?.find((r) => r.name.startsWith('nftables'));
  if (nft && !nft.skipped) t.push([`${res.restore.bans.toLocaleString('en')} bans restored and re-applied < 2 s`, `${near(nft.seconds, 2)} s`, nft.seconds < 2]);
  return t;
}

export function formatReport(res) {
  const out = [`DictDefence bench — ${res.machine}`, `corpus: ${res.corpus} (${res.lines.toLocaleString('en')} lines); medians of ${res.runs} interleaved runs; × base = ratio to the fair baseline (naive loop + tracker) in the same run`, ''];
  if (res.sshd) out.push(...throughputTable(res.sshd, 'Match throughput, sshd corpus (whole process, start-up included)'), '');
  if (res.library) {
    out.push(...throughputTable(res.library.rows, `Filter library: daemon hot path (line splitter → jails), ${res.library.filters} filters`));
    out.push('  (the last two rows run on the sshd corpus: compare them with naive+tracker in the table above)');
    const b = res.library.breakdown;
    if (b) {
      // One more run of all the jails, each jail's share timed: where the library's time goes.
      const jails = [...b.perJail].sort((x, y) => y.ms - x.ms);
      const inJails = jails.reduce((sum, j) => sum + j.ms, 0);
      out.push(`  where a run of all ${jails.length} jails spends its ${f(b.loopMs / 1000)} s (one more run, each jail timed on its share of every batch):`);
      out.push(`    reading, splitting and routing ${f((b.loopMs - inJails) / 1000)} s; ${jails.map((j) => `${j.name} ${f(j.ms / 1000)} s (${k(j.offered)} lines)`).join(', ')}`);
    }
    // Older JSON has no warm-up.
    const w = b?.warmUp;
    if (w) {
      const ms = (list) => list.map((x) => x.toFixed(0)).join(', ');
      out.push(`  warm-up: the first ${w.lines.toLocaleString('en')} lines, ${w.naiveMs.length} passes in one process, state new each pass (ms per pass, medians):`);
      out.push(`    naive+tracker ${ms(w.naiveMs)}; all ${res.library.filters} jails ${ms(w.jailsMs)} (the first pass runs while V8 still compiles the hot path)`);
    }
    out.push('');
  }
  const lat = res.latency;
  if (lat) {
    out.push(`Line → ban latency (${lat.bans ?? 0} bans, running daemon, SQLite store, command action)`);
    if (lat.skipped) out.push(`  skipped: ${lat.skipped}`);
    else {
      out.push(`  ${pad('', 44)}${lpad('p50', 9)}${lpad('p99', 9)}${lpad('max', 9)}`);
      const rows = [['line appended → ban decided and committed', lat.daemonMs], ['action process start (spawn → bash runs)', lat.actionMs], ['total: line appended → action ran', lat.totalMs]];
      // Older JSON has no floor.
      if (lat.floorMs) rows.push(['host floor: the two wake-ups alone', lat.floorMs]);
      for (const [name, s] of rows) {
        out.push(`  ${pad(name, 44)}${lpad(`${f(s.p50)} ms`, 9)}${lpad(`${f(s.p99)} ms`, 9)}${lpad(`${f(s.max)} ms`, 9)}`);
      }
      if (lat.floorMs) out.push('  (host floor: an append read by an idle process watching the file, its answer read by the bench; inside the first row)');
      if (lat.floorSkipped) out.push(`  host floor: not measured (${lat.floorSkipped})`);
      // Older JSON has neither.
      if (lat.daemonCpuMsPerBan !== undefined) out.push(`  daemon CPU per ban: ${f(lat.daemonCpuMsPerBan)} ms (commands started by the ${lat.spawner === 'fork' ? "fork of Node's child_process" : 'native spawner'})`);
    }
    out.push('');
  }
  if (res.memory) {
    const m = res.memory;
    const idleAll = m.idleRuns && m.idleRuns.length > 1 ? ` (median of ${m.idleRuns.map((b) => (b / 2 ** 20).toFixed(1)).join(', ')} MiB)` : '';
    out.push('Daemon memory', `  idle (one sshd jail, SQLite store): ${mib(m.idleBytes)} RSS${idleAll}`,
      `  ${m.tracked.toLocaleString('en')} tracked addresses × ${m.failures} failures: ${mib(m.rssBytes)} RSS (peak ${mib(m.peakBytes)}), ${m.lines.toLocaleString('en')} lines in ${f(m.seconds, 1)} s`, '');
  }
  if (res.restore) {
    out.push(`Restore of ${res.restore.bans.toLocaleString('en')} active bans at start (spawn → "Restored" logged)`);
    for (const r of res.restore.rows) {
      const all = r.runs && r.runs.length > 1 ? ` (median of ${r.runs.map((x) => f(x)).join(', ')})` : '';
      out.push(r.skipped ? `  ${pad(r.name, 30)} skipped: ${r.skipped}` : `  ${pad(r.name, 30)} ${f(r.seconds)} s${all}, ${r.restored.toLocaleString('en')} restored${r.inFirewall !== undefined ? `, ${r.inFirewall.toLocaleString('en')} in the nftables sets` : ''}`);
    }
    out.push('');
  }
  if (res.store) {
    out.push(`Store: record ${res.storeBans.toLocaleString('en')} bans (addBan, each durable before the next)`);
    for (const r of res.store) {
      const all = r.runs && r.runs.length > 1 ? `, median of ${r.runs.map((x) => f(x)).join(', ')} s` : '';
      out.push(r.skipped ? `  ${pad(r.name, 8)} skipped: ${r.skipped}` : `  ${pad(r.name, 8)} ${f(r.seconds)} s (${f(r.perBanMs, 3)} ms per ban, ${k(r.bansPerS)}/s${all})`);
    }
    out.push('');
  }
  out.push('Targets');
  for (const [label, figure, met] of verdicts(res)) out.push(`  ${met === null ? '?' : met ? 'met ' : 'MISS'}  ${pad(label, 62)} ${figure}`);
  return `${out.join('\n')}\n`;
}
