import { describe, expect, it } from 'vitest';
import { missing } from '../../test/ci.js';
import { exec, spawnerInUse } from './exec.js';
import { describeExecContract } from './exec.contract.js';
import { execForked } from './exec-fork.js';
import { nativeSpawner } from './exec-native.js';

describeExecContract("Node's child_process (fork)", () => execForked, { closesOthers: false });
// Where it was not built the suite fails in its beforeAll (under CI=true `missing` throws first): `npm ci`
// builds it, and actions would otherwise fork the whole daemon.
describeExecContract('the native spawner (posix_spawn)', () => {
  const native = nativeSpawner();
  if (native.ok) return native.value;
  missing('the native spawner (build/Release/dd_spawn.node, built by npm ci)', native.error);
  return undefined;
}, { closesOthers: true });

describe('exec', () => {
  it('uses the native spawner where it was built, and says why not where it was not', (ctx) => {
    const native = nativeSpawner();
    if (!native.ok && missing('the native spawner', native.error)) return ctx.skip();
    expect(spawnerInUse()).toEqual({ native: true });
  });

  it('runs its commands through the native spawner where it was built', async (ctx) => {
    const native = nativeSpawner();
    if (!native.ok && missing('the native spawner', native.error)) return ctx.skip();
    // glibc's posix_spawn leaves its own signal 32 ignored in the child (exec.contract.ts); a fork does not.
    const r = await exec(['grep', '^SigIgn:', '/proc/self/status']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(BigInt(`0x${r.value.stdout.split(/\s+/)[1] ?? ''}`) & (1n << 31n)).toBe(1n << 31n);
  });
});
