import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileFilter } from './compile.js';
import { loadFilterFile, parseSamples, shippedFiltersDir } from './load.js';
import { walk } from './regex/ast.js';
import type { Node } from './regex/ast.js';
import { onlyUnit } from './regex/charset.js';
import type { CharSet } from './regex/charset.js';
import { parseRegex } from './regex/parse.js';

// Every rule of every shipped filter (all modes) against 100 KB lines built to make a backtracking engine
// work hard: long runs of each character its quantifiers accept, its own literal fragments repeated (" from
// ", " port "), and real sample lines cut at the address with that junk spliced in. The length cap (8 KiB)
// keeps such lines from reaching a regex in production; here the cap is lifted so that a pattern that is not
// linear shows: 100 KB is 12× the cap, so quadratic costs ~150×, and the bound below is then far exceeded.
const SIZE = 100_000;
const BOUND_MS = 250;
const STATIC_RUNS = [' ', 'a', '7', ':', '.', '"', '[', ']', '<', '>', ',', ' from 1.2.3.4 port 22', '1.2.3.4 port 22 [preauth] ',
  '::ffff:', ' from ::ffff:1.2.3.4%eth0 port 22 ssh2', ' user=x rhost=1.2.3.4', "' from 1.2.3.4:2", 'rip=1.2.3.4, ',
  ', client: 1.2.3.4, server: ', '[client 1.2.3.4:5] ', 'unknown[1.2.3.4]: ', '(x) [1.2.3.4]:25 ', '\u001b[31m', '１'];

const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

/** A printable character a set accepts, preferring the ones log lines are made of. */
function representative(set: CharSet): string | undefined {
  for (const c of 'a Z0.:-_/"\'[]()<>,=@%+#*!?\\|') {
    const code = c.charCodeAt(0);
    if (set.some(([lo, hi]) => code >= lo && code <= hi)) return c;
  }
  const first = set[0]?.[0];
  return first === undefined ? undefined : String.fromCharCode(first);
}

/** Runs built from the rule itself: each quantifier's characters, and each literal fragment of three or more. */
function runsFor(source: string): string[] {
  const runs = new Set<string>();
  walk(parseRegex(source, { dialect: 'js' }), (n: Node) => {
    if (n.type === 'repeat' && n.body.type === 'char') {
      const c = representative(n.body.set);
      if (c !== undefined) runs.add(c);
    }
    if (n.type === 'seq') {
      let text = '';
      for (const item of [...n.items, undefined]) {
        const unit = item?.type === 'char' ? onlyUnit(item.set) : undefined;
        if (unit !== undefined) { text += String.fromCharCode(unit); continue; }
        if (text.length >= 3) runs.add(text);
        text = '';
      }
    }
  });
  return [...runs];
}

const files = readdirSync(shippedFiltersDir).filter((f) => f.endsWith('.yaml')).sort();
const worst: string[] = [];

describe('shipped rules on adversarial input', () => {
  afterAll(() => {
    process.stdout.write(`\nAdversarial 100 KB lines, slowest exec per filter:\n${worst.join('\n')}\n`);
  });

  it.each(files)('%s: every rule finishes each 100 KB hostile line well within the linear bound', (file) => {
    const loaded = loadFilterFile(path.join(shippedFiltersDir, file));
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const d = loaded.value;
    const { samples } = parseSamples(readFileSync(path.join(shippedFiltersDir, file.replace(/\.yaml$/, '.samples')), 'utf8'));
    const all = compileFilter(d, { modes: [...d.modes.keys()], maxLineLength: SIZE * 3 });
    if (!all.ok) throw new Error(all.error);
    const slow: string[] = [];
    let max = 0, lines = 0;
    all.value.rules.forEach((source, i) => {
      const re = new RegExp(source, 'd');
      // Cut real lines at their address: the head and the rule's fixed text match, the hostile text follows.
      const cuts = samples.flatMap((s) => {
        const at = re.exec(s.text)?.indices?.groups?.['host'];
        return at === undefined ? [] : [[s.text.slice(0, at[0]), s.text.slice(at[1])] as const];
      }).slice(0, 2);
      expect(cuts.length, `rule ${i} has no sample to build hostile lines from`).toBeGreaterThan(0);
      for (const junk of [...STATIC_RUNS, ...runsFor(source)].map(fill)) {
        const built = cuts.flatMap(([head, tail]) => [head + junk, head + junk + tail, `${head}1.2.3.4${junk}${tail}`]);
        for (const line of [junk, ...built]) {
          const start = performance.now();
          re.exec(line);
          const ms = performance.now() - start;
          lines++;
          if (ms > max) max = ms;
          if (ms > BOUND_MS) slow.push(`rule ${i} took ${ms.toFixed(0)} ms on ${JSON.stringify(line.slice(0, 60))}…`);
        }
      }
    });
    worst.push(`  ${file.padEnd(22)} ${max.toFixed(2).padStart(7)} ms  (${lines} lines, ${all.value.rules.length} rules)`);
    expect(slow).toEqual([]);
  });
});
