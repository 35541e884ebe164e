#!/usr/bin/env node
// The naive Node.js loop of ANCHORS.md, the bar DictDefence's match path is measured against: read the file
// in 64 KiB chunks, split on "\n", try five anchored sshd regexes with a named `ip` group, count per address
// in a Map. With --tracker it also keeps the last 5 failure times per address (a Map of arrays), which is the
// "fair baseline" of issue 9: the same work DictDefence's tracker does.
// Usage: node bench/naive.mjs FILE [--tracker] [--passes N]   prints one JSON line: {"lines","failures","addresses"}
// With --passes N the file is read N times in one process, the counts emptied before each pass, and `passMs`
// says how long each took (bench/library-run.mjs --passes, for the same comparison of a first and a warm pass).
import { createReadStream } from 'node:fs';

const [file, ...flags] = process.argv.slice(2);
const tracker = flags.includes('--tracker');
const passesAt = flags.indexOf('--passes');
const passes = passesAt < 0 ? 1 : Number(flags[passesAt + 1]);
if (!file || !(Number.isInteger(passes) && passes >= 1)) {
  process.stderr.write('usage: node bench/naive.mjs FILE [--tracker] [--passes N]\n');
  process.exit(2);
}

const HEAD = String.raw`^\w{3} +\d+ [\d:]+ \S+ sshd\[\d+\]: `;
const IP = String.raw`(?<ip>[0-9a-fA-F:.]+)`;
const RES = [
  new RegExp(`${HEAD}Failed \\S+ for (?:invalid user )?.* from ${IP} port \\d+ ssh2$`),
  new RegExp(`${HEAD}Invalid user .* from ${IP} port \\d+$`),
  new RegExp(`${HEAD}Connection closed by (?:authenticating|invalid) user .* ${IP} port \\d+ \\[preauth\\]$`),
  new RegExp(`${HEAD}Disconnected from (?:authenticating|invalid) user .* ${IP} port \\d+ \\[preauth\\]$`),
  new RegExp(`${HEAD}Connection reset by (?:authenticating|invalid) user .* ${IP} port \\d+ \\[preauth\\]$`),
];

const counts = new Map();
const times = new Map();
let lines = 0, failures = 0, clock = 0;

function handle(line) {
  lines++;
  for (const re of RES) {
    const m = re.exec(line);
    if (m === null) continue;
    const ip = m.groups.ip;
    failures++;
    counts.set(ip, (counts.get(ip) ?? 0) + 1);
    if (tracker) {
      const list = times.get(ip);
      if (list === undefined) times.set(ip, [clock++]);
      else { list.push(clock++); if (list.length > 5) list.shift(); }
    }
    return;
  }
}

// A read stream of 64 KiB chunks, as ANCHORS.md's loop (readSync into one reused buffer is 12-24 % faster).
const passMs = [];
for (let pass = 0; pass < passes; pass++) {
  const started = performance.now();
  lines = failures = clock = 0;
  counts.clear();
  times.clear();
  let rest = '';
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 16 })) {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop();
    for (const p of parts) handle(p);
  }
  if (rest !== '') handle(rest);
  passMs.push(performance.now() - started);
}
process.stdout.write(`${JSON.stringify({ lines, failures, addresses: counts.size, ...(passes > 1 ? { passMs } : {}) })}\n`);
