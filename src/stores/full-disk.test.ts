import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import { parseAddress, type Address } from '../core/address.js';
import { openFileStore } from './file.js';
import { openSqliteStore } from './sqlite.js';
import type { PortableStore } from './store.js';

/*
 * A full disk, for real: a small tmpfs mounted for the test (root only), filled by the store itself. A write
 * that does not fit must reject (the daemon's persist() logs it and still applies the ban), never throw past
 * the promise or crash; what was acknowledged before must survive, and the store must open again unharmed.
 */

const T0 = 1_700_000_000_000;
const address = (n: number): Address => parseAddress(`10.2.${n >> 8}.${n & 255}`) ?? (() => { throw new Error('bad address'); })();

function mountTmpfs(sizeKb: number): { dir: string; grow(kb: number): void; unmount(): void } | string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dictdefence-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmdirSync(dir);
    return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  }
  return {
    dir,
    grow: (kb) => { spawnSync('mount', ['-o', `remount,size=${kb}k`, dir]); },
    unmount: () => { spawnSync('umount', [dir]); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

const probe = mountTmpfs(64);
const skip = typeof probe === 'string' && missing('a tmpfs mount (the tests run as root in CI)', probe);
if (typeof probe !== 'string') probe.unmount();

const backends: [string, (dir: string) => Promise<PortableStore>][] = [
  ['sqlite', (dir) => openSqliteStore({ path: path.join(dir, 'state.db') })],
  ['file', (dir) => openFileStore({ path: path.join(dir, 'state.journal'), compactSlackBytes: 0 })],
];

describe.skipIf(skip)('stores on a full disk', () => {
  let mounted: ReturnType<typeof mountTmpfs> | undefined;
  afterEach(() => { if (mounted && typeof mounted !== 'string') mounted.unmount(); mounted = undefined; });

  for (const [name, open] of backends) {
    it(`rejects the ${name} store's writes that do not fit, keeps what it acknowledged and opens again once there is room`, async () => {
      mounted = mountTmpfs(512);
      if (typeof mounted === 'string') throw new Error(mounted);
      const { dir } = mounted;
      const store = await open(dir);
      const acked: Address[] = [];
      let failure: unknown;
      for (let n = 0; n < 5000 && failure === undefined; n++) {
        try {
          await store.addBan({ address: address(n), jail: 'sshd', bannedAt: T0 + n, until: null, count: 1, reason: 'r'.repeat(1000) });
          acked.push(address(n));
        } catch (e) {
          failure = e;
        }
      }
      expect(failure).toBeInstanceOf(Error);
      expect(String((failure as Error).message)).toMatch(/full|ENOSPC|no space/i);
      expect(acked.length).toBeGreaterThan(10);
      await expect(store.setPosition('journal', { cursor: 'x'.repeat(100_000) })).rejects.toThrow();
      expect((await store.activeBans()).map((b) => b.address)).toEqual(acked);

      mounted.grow(4096);
      const more = address(9999);
      await expect(store.addBan({ address: more, jail: 'sshd', bannedAt: T0, until: null, count: 1, reason: 'after' })).resolves.toMatchObject({ address: more });
      await store.close();
      const again = await open(dir);
      expect((await again.activeBans()).map((b) => b.address)).toEqual([...acked, more]);
      await again.close();
    }, 120_000);
  }
});
