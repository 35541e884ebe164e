// Match throughput on the sshd corpus: DictDefence's full match path (`dictdefence test --filter sshd`: split
// lines → filter → address parse → whitelist → tracker) next to the I/O floor, the naive Node.js loop with
// and without a tracker, and the incumbents when installed. Every run is a whole process (start-up included,
// as an administrator would time it), the same file, interleaved rounds.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { interleave, summarise } from './measure.mjs';

const SSHG_PARSER = ['/usr/libexec/sshguard/sshg-parser', '/usr/lib/sshguard/sshg-parser', '/usr/sbin/sshg-parser',
  '/usr/local/libexec/sshguard/sshg-parser', '/usr/lib/x86_64-linux-gnu/sshguard/sshg-parser'];

/** The path of a program on PATH, or undefined. */
export function which(name) {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const findSshgParser = () => SSHG_PARSER.find((p) => existsSync(p)) ?? which('sshg-parser');

/** Copies the first `n` lines of `from` to `to`. */
async function head(from, to, n) {
  const out = createWriteStream(to);
  let i = 0;
  for await (const line of createInterface({ input: createReadStream(from), crlfDelay: Infinity })) {
    if (i++ >= n) break;
    if (!out.write(`${line}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  return Math.min(i, n);
}

const matched = (re) => (res) => {
  const m = re.exec(res.stdout);
  if (!m) throw new Error(`Cannot read the match count in: ${res.stdout.slice(0, 300)}`);
  return { matches: Number(m[1]) };
};

/**
 * Section "sshd": returns rows { name, command, ...summary, ratio } with `ratio` = lines/s over the fair
 * baseline's (naive loop + tracker) in the same run.
 */
export async function sshdThroughput({ root, corpus, lines, runs, work, fail2banLines, log }) {
  const node = process.execPath;
  const tasks = [
    { name: 'cat', command: 'cat FILE > /dev/null', argv: ['cat', corpus], stdout: 'null' },
    { name: 'naive', command: 'node bench/naive.mjs FILE', argv: [node, join(root, 'bench/naive.mjs'), corpus],
      check: (r) => ({ matches: JSON.parse(r.stdout).failures }) },
    { name: 'naive+tracker', command: 'node bench/naive.mjs FILE --tracker', argv: [node, join(root, 'bench/naive.mjs'), corpus, '--tracker'],
      check: (r) => ({ matches: JSON.parse(r.stdout).failures }) },
    { name: 'dictdefence', command: 'dictdefence test --filter sshd FILE', argv: [node, join(root, 'bin/dictdefence.js'), 'test', '--filter', 'sshd', corpus],
      check: matched(/Matched (\d+) lines/) },
  ];
  const parser = findSshgParser();
  if (parser) {
    tasks.push({ name: 'sshg-parser', command: `${parser} < FILE`, argv: [parser], stdin: corpus, stdout: 'count',
      check: (r) => ({ matches: r.newlines }) });
  }
  log(`sshd corpus: ${lines.toLocaleString('en')} lines, ${runs} interleaved runs`);
  const results = await interleave(tasks, runs, log);
  const rows = tasks.map((t) => ({ name: t.name, command: t.command, ...summarise(results.get(t.name), lines) }));
  if (!parser) rows.push({ name: 'sshg-parser', command: 'not installed (apt-get install sshguard)', missing: true });

  // fail2ban-regex runs at ~14 k lines/s: on the whole corpus three runs would take minutes, so it gets a
  // prefix of the same file (its rate does not depend on the length; ANCHORS.md measured 13.0 k/s on 200 k
  // lines and 14.2 k/s on 1 M). --fail2ban-lines 0 gives it the whole file.
  const f2b = which('fail2ban-regex');
  if (f2b) {
    let file = corpus, n = lines;
    if (fail2banLines > 0 && fail2banLines < lines) {
      file = join(work, `prefix-${fail2banLines}.log`);
      n = await head(corpus, file, fail2banLines);
    }
    log(`fail2ban-regex on ${n.toLocaleString('en')} lines`);
    const res = await interleave([{ name: 'fail2ban-regex', argv: [f2b, file, 'sshd'], check: matched(/(\d+) matched/) }], runs, log);
    rows.push({ name: 'fail2ban-regex', command: `fail2ban-regex FILE sshd${n < lines ? ` (first ${n.toLocaleString('en')} lines)` : ''}`,
      ...summarise(res.get('fail2ban-regex'), n) });
  } else {
    rows.push({ name: 'fail2ban-regex', command: 'not installed (apt-get install fail2ban)', missing: true });
  }
  return withRatios(rows, 'naive+tracker');
}

/** Adds `ratio` (lines/s) and `cpuRatio` (lines per CPU second) relative to the row named `base`. */
export function withRatios(rows, base) {
  const b = rows.find((r) => r.name === base);
  return rows.map((r) => ({
    ...r,
    ratio: r.linesPerS && b?.linesPerS ? r.linesPerS / b.linesPerS : null,
    cpuRatio: r.linesPerCpuS && b?.linesPerCpuS ? r.linesPerCpuS / b.linesPerCpuS : null,
  }));
}
