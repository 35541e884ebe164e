import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoreConfig } from '../config/types.js';
import { parseAddress } from '../core/address.js';
import type { StoreHarness } from './store.contract.js';

/*
 * The part of the store contract that needs other processes: a writer killed with SIGKILL, and two writers at
 * once. The writers run `store-writer.child.mjs` with node against the built code in dist/ (`npm test` builds
 * first), so what is tested is what ships.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(here, '../../dist');
const WRITER = path.join(here, 'store-writer.child.mjs');

export interface Ack { readonly id: number; readonly address: string }

interface Writer {
  /** Every ban the child acknowledged, in order. */
  readonly acks: Ack[];
  /** Resolves with the child's exit signal once it exited and its output was read. */
  readonly done: Promise<{ signal: NodeJS.Signals | null; code: number | null; stderr: string }>;
}

/** Starts a child adding bans for addresses number `from` … `from + count - 1`; `onAck` may kill it. */
export function startWriter(config: StoreConfig, from: number, count: number, onAck?: (acks: Ack[], kill: () => void) => void): Writer {
  if (!fs.existsSync(path.join(DIST, 'stores', 'index.js'))) throw new Error(`No build in "${DIST}": run "npm run build" first`);
  const env = { ...process.env, DD_STORE_WRITER: JSON.stringify({ dist: DIST, config, from, count, jail: 'sshd' }) };
  const child = spawn(process.execPath, [WRITER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const acks: Ack[] = [];
  const lines = readline.createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const [id, address] = line.split(' ');
    acks.push({ id: Number(id), address: address ?? '' });
    onAck?.(acks, () => child.kill('SIGKILL'));
  });
  const done = Promise.all([once(lines, 'close'), once(child, 'close')]).then(([, [code, signal]]) =>
    ({ code: code as number | null, signal: signal as NodeJS.Signals | null, stderr }));
  return { acks, done };
}

export interface ProcessContractOptions {
  /** Whether two processes may write the same data at once (SQLite, MySQL; the file store's lock refuses it). */
  readonly sharedWriters: boolean;
  /** Outside CI only, after test/ci.ts's missing() printed why. */
  readonly skip?: boolean;
}

export function describeStoreProcesses(name: string, open: () => Promise<StoreHarness>, options: ProcessContractOptions): void {
  describe.skipIf(options.skip === true)(`${name} store with other processes`, () => {
    let harness: StoreHarness;
    beforeEach(async () => { harness = await open(); });
    afterEach(async () => { await harness.cleanup(); });

    it('keeps every acknowledged ban and opens again after a process writing 10,000 bans is killed with SIGKILL', async () => {
      await harness.store.close();
      const writer = startWriter(harness.config, 0, 10_000, (acks, kill) => { if (acks.length === 2000) kill(); });
      const { signal, stderr } = await writer.done;
      expect(signal, stderr).toBe('SIGKILL');
      expect(writer.acks.length).toBeGreaterThanOrEqual(2000);
      expect(writer.acks.length).toBeLessThan(10_000);

      const store = await harness.reopen();
      const active = new Map((await store.activeBans()).map((b) => [b.address as string, b.id]));
      expect(writer.acks.filter((a) => active.get(a.address) !== a.id)).toEqual([]);
      // The store still takes writes: the torn end the killed writer may have left did not poison it.
      const fresh = parseAddress('192.0.2.200') ?? never();
      await expect(store.addBan({ address: fresh, jail: 'sshd', bannedAt: 1, until: null, count: 1, reason: 'after' }))
        .resolves.toMatchObject({ address: fresh, liftedAt: null });
    }, 180_000);

    // Registered only where it applies: the file store refuses a second writer by design (its own test).
    if (options.sharedWriters) it('takes bans from two processes at once without losing one or keeping two active for one address', async () => {
      // Addresses 300…599 are banned by both writers: each must get the one row the store kept.
      const a = startWriter(harness.config, 0, 600);
      const b = startWriter(harness.config, 300, 600);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      expect([ra.code, rb.code], `${ra.stderr}${rb.stderr}`).toEqual([0, 0]);

      const active = await harness.store.activeBans();
      expect(active).toHaveLength(900);
      expect(new Set(active.map((x) => x.address)).size).toBe(900);
      const ids = new Map(active.map((x) => [x.address as string, x.id]));
      expect([...a.acks, ...b.acks].filter((ack) => ids.get(ack.address) !== ack.id)).toEqual([]);
    }, 180_000);
  });
}

function never(): never {
  throw new Error('A test address does not parse');
}
