#!/usr/bin/env node
// `npm run bench`: DictDefence's performance next to the naive Node.js loop, fail2ban and sshguard, measured
// in one run on this machine. See docs/performance.md for what each figure means and the targets.
//
//   npm run bench [-- OPTIONS]
//     --json              print the figures as JSON instead of the table
//     --lines N           corpus lines (default 1000000)
//     --runs N            interleaved runs per throughput figure, medians reported (default 3)
//     --corpus FILE       use this sshd log instead of generating one (e.g. ../shared/bench's corpus)
//     --only a,b          sections: sshd, library, latency, memory, restore, store (default: all)
//     --fail2ban-lines N  lines given to fail2ban-regex, a prefix of the corpus (default 200000; 0 = all)
//     --bans N            bans timed for latency (default 200)
//     --addresses N       tracked addresses for the memory figure (default 1000000)
//     --restore N         active bans restored at start (default 100000)
//     --store-bans N      bans recorded in the store figure (default 10000)
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sshCorpus, writeLines } from './corpus.mjs';
import { libraryThroughput } from './library.mjs';
import { latency } from './latency.mjs';
import { memory } from './memory.mjs';
import { formatReport, verdicts } from './report.mjs';
import { restore } from './restore.mjs';
import { storeBench } from './store.mjs';
import { sshdThroughput } from './throughput.mjs';

const SECTIONS = ['sshd', 'library', 'latency', 'memory', 'restore', 'store'];
const { values } = parseArgs({
  options: {
    json: { type: 'boolean' }, lines: { type: 'string' }, runs: { type: 'string' }, corpus: { type: 'string' },
    only: { type: 'string' }, 'fail2ban-lines': { type: 'string' }, bans: { type: 'string' },
    addresses: { type: 'string' }, restore: { type: 'string' }, 'store-bans': { type: 'string' },
  },
});
const int = (name, dflt) => {
  const v = values[name] === undefined ? dflt : Number(values[name]);
  if (!Number.isInteger(v) || v < 0) { process.stderr.write(`--${name} must be a whole number\n`); process.exit(2); }
  return v;
};
const only = values.only ? values.only.split(',') : SECTIONS;
for (const s of only) if (!SECTIONS.includes(s)) { process.stderr.write(`Unknown section "${s}" (known: ${SECTIONS.join(', ')})\n`); process.exit(2); }

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'dd-bench-'));
const log = (m) => process.stderr.write(`${m}\n`);
const started = Date.now();
try {
  let corpus = values.corpus ? resolve(values.corpus) : join(work, 'auth.log');
  let lines = int('lines', 1_000_000);
  if (values.corpus) {
    lines = 0;
    for await (const chunk of createReadStream(corpus)) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  } else if (only.includes('sshd') || only.includes('library')) {
    log(`generating ${lines.toLocaleString('en')} lines of auth.log`);
    await writeLines(sshCorpus(lines), corpus);
  }
  const runs = Math.max(1, int('runs', 3));
  const ctx = { root, corpus, lines, runs, work, log, fail2banLines: int('fail2ban-lines', 200_000) };
  const res = {
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, node ${process.version}, ${new Date().toISOString()}`,
    corpus: values.corpus ? corpus : `generated (bench/corpus.mjs, ${(statSync(corpus, { throwIfNoEntry: false })?.size ?? 0).toLocaleString('en')} bytes)`,
    lines, runs, storeBans: int('store-bans', 10_000),
  };
  if (only.includes('sshd')) res.sshd = await sshdThroughput(ctx);
  if (only.includes('library')) res.library = await libraryThroughput(ctx);
  if (only.includes('latency')) res.latency = await latency({ ...ctx, bans: int('bans', 200) });
  if (only.includes('memory')) res.memory = await memory({ ...ctx, addresses: int('addresses', 1_000_000) });
  if (only.includes('restore')) res.restore = await restore({ ...ctx, bans: int('restore', 100_000) });
  if (only.includes('store')) res.store = await storeBench({ ...ctx, bans: res.storeBans });
  res.benchSeconds = (Date.now() - started) / 1000;
  if (values.json) {
    res.targets = verdicts(res).map(([target, figure, met]) => ({ target, figure, met }));
    process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(res));
    process.stdout.write(`(bench took ${res.benchSeconds.toFixed(0)} s)\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
