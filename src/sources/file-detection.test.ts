/**
 * How long the file source takes to see a change, with inotify and by polling alone, at the default
 * `poll_interval` (1 s) and rotation grace (2 s). The bounds asserted are the documented worst cases
 * (docs/configuration.md, "Sources") plus scheduling slack; the measured delays are printed.
 */
import { appendFileSync, closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileHarness, lines, MemoryPositions, run, sourceDeps, until } from '../../test/sources.js';
import { createFileSource } from './file.js';

const h = fileHarness();
const SLACK = 500;
const measured: string[] = [];
afterAll(() => { process.stdout.write(`File source detection delays (ms):\n  ${measured.join('\n  ')}\n`); });

/** Milliseconds from `act` until the source has delivered `count` lines in all. */
async function delay(texts: string[], count: number, act: () => void): Promise<number> {
  const start = performance.now();
  act();
  await until(() => texts.length >= count, 10_000);
  return Math.round(performance.now() - start);
}

describe('file source detection delay', () => {
  it('sees an append within milliseconds with inotify, and within one poll interval without', async () => {
    writeFileSync(h.file, '');
    const fast = await h.follow({ pollIntervalMs: 1000 });
    const withInotify: number[] = [];
    for (let i = 0; i < 10; i++) withInotify.push(await delay(fast.texts, i + 1, () => appendFileSync(h.file, lines(`a${i}`))));
    await h.stop(fast);

    const slow = await h.follow({ pollIntervalMs: 1000, inotify: false });
    const polled: number[] = [];
    for (let i = 0; i < 3; i++) polled.push(await delay(slow.texts, i + 1, () => appendFileSync(h.file, lines(`p${i}`))));
    measured.push(`append, inotify: max ${Math.max(...withInotify)} (10 samples)`, `append, poll only: ${polled.join(', ')} (bound 1000)`);
    expect(Math.max(...withInotify)).toBeLessThan(250);
    expect(Math.max(...polled)).toBeLessThan(1000 + SLACK);
  });

  it('reads the new file half a poll interval after a rename + create, or after the grace while the old one is still written', async () => {
    writeFileSync(h.file, '');
    const r = await h.follow({ pollIntervalMs: 1000 });
    appendFileSync(h.file, lines('old'));
    await until(() => r.texts.length >= 1);
    const quiet = await delay(r.texts, 2, () => {
      renameSync(h.file, `${h.file}.1`);
      writeFileSync(h.file, lines('new'));
    });
    await h.stop(r);

    // A writer that keeps writing to the file it has open holds the switch until the grace period ends.
    writeFileSync(h.file, '');
    const busy = await h.follow({ pollIntervalMs: 1000 });
    const writer = openSync(h.file, 'a');
    const timer = setInterval(() => writeSync(writer, lines('still old')), 100);
    let held: number;
    try {
      const start = performance.now();
      renameSync(h.file, `${h.file}.2`);
      writeFileSync(h.file, lines('newest'));
      await until(() => busy.texts.includes('newest'), 10_000);
      held = Math.round(performance.now() - start);
    } finally {
      clearInterval(timer);
      closeSync(writer);
    }
    measured.push(`rename + create, old file quiet: ${quiet} (bound 500 = poll/2)`, `rename + create, old file still written: ${held} (bound 2000 = grace)`);
    expect(quiet).toBeLessThan(500 + SLACK);
    expect(held).toBeGreaterThanOrEqual(1900);
    expect(held).toBeLessThan(2000 + SLACK);
  });

  it('picks up a new file matching a glob within milliseconds with inotify, and within a poll interval without', async () => {
    const positions = new MemoryPositions();
    const times: number[] = [];
    for (const inotify of [true, false]) {
      const r = await run(createFileSource({ path: join(h.dir, `*.${inotify}`), inotify }, sourceDeps(positions)));
      times.push(await delay(r.texts, 1, () => writeFileSync(join(h.dir, `new.${inotify}`), lines('hello'))));
      await r.stop();
    }
    measured.push(`new file in a glob, inotify: ${times[0]}`, `new file in a glob, poll only: ${times[1]} (bound 1000)`);
    expect(times[0]).toBeLessThan(250);
    expect(times[1]).toBeLessThan(1000 + SLACK);
  });
});
