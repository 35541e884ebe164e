// The whole filter library at once: one jail per shipped filter, all reading one mixed log (the sshd corpus
// interleaved with the sample lines of every shipped filter, as on a host whose services all log to one
// syslog file), through the daemon's hot path (bench/library-run.mjs). Bar: the naive loop + tracker on the
// same file. Also the floor of that run, the 17 filters alone with nothing after the match (--match-only), and
// the daemon's hot path with the sshd jail alone on the sshd corpus, then with the pam-generic jail beside it.
// Last, the warm-up: the corpus's first WARM_UP_LINES lines, three times over in one process each, by both.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, sshCorpus, writeLines } from './corpus.mjs';
import { interleave, median, run, summarise } from './measure.mjs';
import { withRatios } from './throughput.mjs';

/** Every sample line of every shipped filter, by filter name (annotations and comments dropped). */
export function sampleLines(filtersDir) {
  const out = new Map();
  for (const f of readdirSync(filtersDir).filter((x) => x.endsWith('.samples')).sort()) {
    const lines = readFileSync(join(filtersDir, f), 'utf8').split('\n')
      .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    if (lines.length > 0) out.set(f.slice(0, -'.samples'.length), lines);
  }
  return out;
}

/**
 * `n` lines: half from the sshd corpus, half sample lines taken from each filter in turn (each filter's
 * samples cycled), the choice drawn from a seeded PRNG, so the file is the same on every machine.
 */
export function* mixedCorpus(n, samples, seed = 7) {
  const rnd = mulberry32(seed);
  const ssh = sshCorpus(n);
  const lists = [...samples.values()];
  const next = lists.map(() => 0);
  let turn = 0;
  for (let i = 0; i < n; i++) {
    if (lists.length === 0 || rnd() < 0.5) { yield ssh.next().value; continue; }
    const k = turn++ % lists.length;
    const list = lists[k];
    yield list[next[k]++ % list.length];
  }
}

export async function libraryThroughput({ root, corpus, lines, runs, work, log }) {
  const filtersDir = join(root, 'filters');
  const samples = sampleLines(filtersDir);
  const mixed = join(work, 'mixed.log');
  await writeLines(mixedCorpus(lines, samples), mixed);
  const filters = readdirSync(filtersDir).filter((f) => f.endsWith('.yaml')).length;
  const node = process.execPath;
  const harness = join(root, 'bench/library-run.mjs');
  const json = (r) => { const o = JSON.parse(r.stdout); return { matches: o.matched, offences: o.offences }; };
  const tasks = [
    { name: 'naive+tracker (mixed)', command: 'node bench/naive.mjs MIXED --tracker', argv: [node, join(root, 'bench/naive.mjs'), mixed, '--tracker'],
      check: (r) => ({ matches: JSON.parse(r.stdout).failures }) },
    { name: `all ${filters} filters (mixed)`, command: `node bench/library-run.mjs MIXED (${filters} jails)`, argv: [node, harness, mixed], check: json },
    { name: `match only, ${filters} filters`, command: `node bench/library-run.mjs --match-only MIXED`, argv: [node, harness, '--match-only', mixed], check: json },
    { name: 'sshd jail (sshd corpus)', command: 'node bench/library-run.mjs FILE sshd', argv: [node, harness, corpus, 'sshd'], check: json },
    // The commonest pair on one auth.log: what a second jail beside the sshd jail costs.
    { name: 'sshd + pam-generic jails', command: 'node bench/library-run.mjs FILE sshd pam-generic', argv: [node, harness, corpus, 'sshd', 'pam-generic'], check: json },
  ];
  log(`filter library: ${filters} filters, mixed corpus of ${lines.toLocaleString('en')} lines (${samples.size} sample files), ${runs} runs`);
  const results = await interleave(tasks, runs, log);
  const rows = tasks.map((t) => ({ name: t.name, command: t.command, ...summarise(results.get(t.name), lines) }));
  log('filter library: one more run of all the jails, timed jail by jail');
  const timed = await run([node, harness, '--per-jail', mixed]);
  if (timed.code !== 0) throw new Error(`library-run.mjs --per-jail failed: ${timed.stderr}`);
  const { loopMs, perJail } = JSON.parse(timed.stdout);
  const warmUp = await warmUpOf({ root, mixedLines: mixedCorpus(lines, samples), count: Math.min(lines, WARM_UP_LINES), work, runs, log });
  return { filters, rows: withRatios(rows, 'naive+tracker (mixed)'), breakdown: { loopMs, perJail, warmUp } };
}

/** Lines of the corpus's head run three times over by the naive loop and by all the jails. */
export const WARM_UP_LINES = 100_000;
const WARM_UP_PASSES = 3;

/** The first `n` items of `items`. */
function* head(items, n) {
  if (n <= 0) return;
  for (const item of items) {
    yield item;
    if (--n === 0) return;
  }
}

/**
 * How long the first WARM_UP_LINES lines take on a process's first pass over them, while V8 is still compiling
 * the code that runs them, and on later passes (counts, jails and bans new each pass): the naive loop has a
 * few functions to optimise, the daemon's hot path took 139 compilations in a whole run (docs/performance.md,
 * "Warm-up"). Each pass's median over `runs` processes, alternating, in ms.
 */
async function warmUpOf({ root, mixedLines, count, work, runs, log }) {
  const file = join(work, 'mixed-head.log');
  await writeLines(head(mixedLines, count), file);
  const node = process.execPath;
  const passes = String(WARM_UP_PASSES);
  const commands = {
    naive: [node, join(root, 'bench/naive.mjs'), file, '--tracker', '--passes', passes],
    jails: [node, join(root, 'bench/library-run.mjs'), '--passes', passes, file],
  };
  log(`filter library: warm-up, the first ${count.toLocaleString('en')} lines ${passes} times in one process, ${runs} runs`);
  const seen = { naive: [], jails: [] };
  for (let r = 0; r < Math.max(1, runs); r++) {
    for (const [name, argv] of Object.entries(commands)) {
      const res = await run(argv);
      if (res.code !== 0) throw new Error(`${argv[1]} --passes failed: ${res.stderr}`);
      seen[name].push(JSON.parse(res.stdout).passMs);
    }
  }
  const byPass = (list) => list[0].map((_, p) => median(list.map((ms) => ms[p])));
  return { lines: count, naiveMs: byPass(seen.naive), jailsMs: byPass(seen.jails) };
}
