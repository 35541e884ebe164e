#!/usr/bin/env node
// The daemon's hot path over a file, in one process: the file source's line splitter (and, where a jail's
// filter reads bytes, the router's bytes path: src/daemon/router-bytes.ts), then every jail's filter, whitelist check and tracker
// (src/daemon/jail.ts), one jail per shipped filter (or the filters named), all reading the same lines
// through the router of their shared source (src/daemon/router.ts), as jails on one syslog file do. No store
// and no action: the hot path touches neither (an offence is only counted, and the address then counts as
// banned in the daemon's record of bans in force, src/daemon/active-bans.ts).
// Usage: node bench/library-run.mjs [--per-jail] [--match-only] [--passes N] FILE [FILTER...]   prints one JSON line. With --per-jail it
// also says how long each jail took with its share of every batch (`perJail`: ms, lines offered, matches) and
// the whole loop (`loopMs`), the rest of which is reading, splitting and routing. It times batches, not lines
// (~60,000 clock reads for 1,000,000 lines and 17 jails), except the lines the sshd jail takes as bytes
// (~1,000,000 more: ~0.05 s of the loop, counted as that jail's).
// With --passes N the whole run is made N times in one process, each time with new jails, bans and router (as a
// daemon that started afresh), and `passMs` says how long each pass's loop took: the first pass runs while V8
// compiles the hot path, the later ones on code it has already optimised (docs/performance.md, "Warm-up").
// With --match-only each jail is its filter alone, on the lines the router offers it (as bytes where the jail
// would take bytes): no whitelist, tracker, ring of recent lines or bans. That is the floor of the run: what no
// change after the match can take away.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

// Bundled as the daemon's code is (bench/hot-path.mjs; `npm run build`): the ~50 modules tsc writes, loaded one
// by one, took ~20 ms more to start (hyperfine, an empty file: 143 against 122 ms).
const {
  loadFilterFile, shippedFiltersDir, compileFilter, createTracker, createJail, createActiveBans, createLineRouter,
  createLineSplitter, newSourceCounters, createCidrSet, parseCidr, DEFAULTS, scanIPv4LineOf, OTHER_ADDRESS, UNSURE,
  READ_SIZE, BACKLOG_READ_SIZE, nextReadSize,
} = await import(new URL('../dist/bench/hot-path.js', import.meta.url).href);

const args = process.argv.slice(2);
const perJail = args.includes('--per-jail');
const matchOnly = args.includes('--match-only');
const passesAt = args.indexOf('--passes');
const passes = passesAt < 0 ? 1 : Number(args[passesAt + 1]);
const [file, ...only] = args.filter((a, i) => a !== '--per-jail' && a !== '--match-only' && (passesAt < 0 || (i !== passesAt && i !== passesAt + 1)));
if (!file || !(Number.isInteger(passes) && passes >= 1)) {
  process.stderr.write('usage: node bench/library-run.mjs [--per-jail] [--match-only] [--passes N] FILE [FILTER...]\n');
  process.exit(2);
}
const names = only.length > 0 ? only
  : readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();

const whitelist = createCidrSet(DEFAULTS.whitelist.map((t) => parseCidr(t)));
/** One run over the file, with jails, bans and router of its own: what it counted, and how long its loop took. */
function pass() {
  let offences = 0;
  // The daemon's own record of bans in force, which its jails ask (by text, and IPv4 addresses by value).
  const active = createActiveBans();
  /** A jail that only asks its filter (--match-only): the router's view of a jail, and its `matched` count. */
  // A filter that reads bytes (sshd's) is asked as the jail asks it, on the bytes where the router hands it bytes.
  const filterAlone = (name, filter) => {
    const counters = { lines: 0, matched: 0, whitelisted: 0, offences: 0 };
    const match = filter.match;
    const scan = scanIPv4LineOf(filter);
    const hit = { v4: 0, time: 0, address: '', rule: 0 };
    return { name, filter, counters, handle(lines, delivered = lines.length) {
      counters.lines += delivered;
      for (let i = 0; i < lines.length; i++) if (match(lines[i].text) !== undefined) counters.matched++;
    }, ...(scan === undefined ? {} : { takeBytes(b, start, end) {
      counters.lines++;
      const r = scan.bytes(b, start, end, hit);
      if (r >= 0 || r === OTHER_ADDRESS || (r === UNSURE && scan.regexes(b.toString('latin1', start, end)) !== undefined)) counters.matched++;
    } }) };
  };
  const jails = names.map((name) => {
    const def = loadFilterFile(join(shippedFiltersDir, `${name}.yaml`));
    if (!def.ok) throw new Error(`Cannot load filter ${name}`);
    const filter = compileFilter(def.value, { modes: [], maxLineLength: DEFAULTS.maxLineLength });
    if (!filter.ok) throw new Error(filter.error);
    if (matchOnly) return filterAlone(name, filter.value);
    return createJail({
      config: { name, useLineTime: false }, filter: filter.value, sources: [], actions: [], notifiers: [],
      tracker: createTracker(DEFAULTS.tracker, { clock: { now: () => Date.now(), setTimer: () => () => {} } }),
      whitelist, hitsPerAddress: DEFAULTS.hitsPerAddress,
      ...active.of(name),
      onOffence: (o) => { offences++; active.set({ address: o.address, jail: name, bannedAt: o.at, until: null, count: 1, reason: o.reason }); },
    });
  });

  // As the daemon does for the jails that share one source: each line's head read once, the line offered to
  // the jails whose filter can match it.
  const spent = jails.map(() => 0n);
  const offered = jails.map(() => 0);
  // Each jail as the router sees it, its `handle` timed, and its `takeBytes` line by line where several jails
  // share the file (a single jail's is not: the whole loop is that jail's then).
  const timed = (j, i) => ({
    ...j,
    handle: (lines, delivered) => { const t0 = process.hrtime.bigint(); j.handle(lines, delivered); spent[i] += process.hrtime.bigint() - t0; offered[i] += lines.length; },
    ...(j.takeBytes === undefined || jails.length < 2 ? {} : {
      takeBytes: (b, start, end, source, at) => { const t0 = process.hrtime.bigint(); j.takeBytes(b, start, end, source, at); spent[i] += process.hrtime.bigint() - t0; offered[i]++; },
    }),
  });
  const router = createLineRouter(perJail ? jails.map(timed) : jails);
  const counters = newSourceCounters();
  const splitter = createLineSplitter(DEFAULTS.maxLineLength, counters);
  const fd = openSync(file, 'r');
  // As the file source reads (src/sources/file-reader.ts): READ_SIZE, then, once a read fills it, chunks sized
  // by how long the last one took to hand on (`nextReadSize`), up to BACKLOG_READ_SIZE.
  const buf = Buffer.allocUnsafe(BACKLOG_READ_SIZE);
  let size = READ_SIZE, backlog = false;
  const source = `file:${file}`;
  let lines = 0;
  // As the file follower (src/sources/file-follower.ts) hands them on: one receivedAt per chunk; where the router
  // takes lines as bytes (a jail whose filter reads bytes), every line it can goes to it and the others are
  // delivered between them, in order, and the router is told where the chunk ends; else one LogLine per line,
  // in batches.
  const deliver = (texts, receivedAt) => {
    if (texts.length === 0) return;
    lines += texts.length;
    router.deliver(texts.map((text) => ({ text, source, receivedAt })));
  };
  const loopStart = process.hrtime.bigint();
  for (;;) {
    const n = readSync(fd, buf, 0, size, null);
    if (n === 0) break;
    const started = Date.now();
    handOn(buf.subarray(0, n), started);
    if (backlog) size = nextReadSize(size, Date.now() - started, READ_SIZE, BACKLOG_READ_SIZE);
    else if (n === READ_SIZE) { backlog = true; size = nextReadSize(size, 0, READ_SIZE, BACKLOG_READ_SIZE); }
  }
  function handOn(chunk, receivedAt) {
    const take = router.take;
    if (take === undefined) {
      deliver(splitter.push(chunk), receivedAt);
      return;
    }
    let pending = [];
    splitter.push(chunk, {
      take: (b, start, end) => {
        // As the file follower's `before`: a new batch only where there was one (not an array per line).
        if (pending.length > 0) {
          deliver(pending, receivedAt);
          pending = [];
        }
        lines++;
        take(b, start, end, source, receivedAt);
        return true;
      },
      text: (line) => { pending.push(line); },
    });
    deliver(pending, receivedAt);
    take.end?.();
  }
  const loopMs = Number(process.hrtime.bigint() - loopStart) / 1e6;
  closeSync(fd);
  const matched = jails.reduce((sum, j) => sum + j.counters.matched, 0);
  const timing = perJail
    ? { loopMs, perJail: jails.map((j, i) => ({ name: j.name, ms: Number(spent[i]) / 1e6, offered: offered[i], matched: j.counters.matched })) }
    : {};
  return { lines, matched, offences, loopMs, timing };
}

const passMs = [];
let last;
for (let p = 0; p < passes; p++) {
  last = pass();
  passMs.push(last.loopMs);
}
const { lines, matched, offences, timing } = last;
process.stdout.write(`${JSON.stringify({ lines, matched, offences, filters: names, ...timing, ...(passes > 1 ? { passMs } : {}) })}\n`);
