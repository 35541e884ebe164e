import { describe, expect, it } from 'vitest';
import type { Action, ActionResult } from '../actions/action.js';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import type { Ban } from '../core/types.js';
import { createApplier } from './apply.js';

const ban = (a: string, jail = 'sshd'): Ban =>
  ({ address: parseAddress(a) as Address, jail, bannedAt: 1, until: null, count: 1, reason: 'test' });

/** An action that records its calls; `replace` is its replaceAll, or absent. */
function recording(replace?: (bans: readonly Ban[]) => Promise<ActionResult>) {
  const calls: string[] = [];
  const ok = async (): Promise<ActionResult> => ({ ok: true });
  const action: Action = {
    name: 'fw', type: 'test', init: ok, flush: ok, close: ok,
    ban: async (bans) => { calls.push(`ban ${bans.map((b) => b.address).join(',')}`); return { ok: true }; },
    unban: async (bans) => { calls.push(`unban ${bans.map((b) => b.address).join(',')}`); return { ok: true }; },
    ...(replace ? { replaceAll: async (bans: readonly Ban[]) => { calls.push(`replace ${bans.map((b) => b.address).join(',')}`); return replace(bans); } } : {}),
  };
  return { action, calls };
}

describe('the applier restoring the bans of an action', () => {
  const applierFor = (wanted: (b: Ban) => boolean) =>
    createApplier({ clock: new ManualClock(0), log: silentLogger, wants: (b) => wanted(b) });
  const bans = [ban('192.0.2.1'), ban('192.0.2.2', 'gone'), ban('2001:db8::1')];

  it('replaces in one step where the action can, with the bans that still want it', async () => {
    const { action, calls } = recording(async () => ({ ok: true }));
    const applier = applierFor((b) => b.jail !== 'gone');
    await applier.replaceAll(action, bans);
    expect(calls).toEqual(['replace 192.0.2.1,2001:db8::1']);
    expect(applier.counters.applied).toBe(2);
  });

  it('falls back to banning them when the one step fails or throws, and bans where there is no such step', async () => {
    for (const replace of [async (): Promise<ActionResult> => ({ ok: false, error: 'nft: no', failed: [] }), async (): Promise<ActionResult> => { throw new Error('boom'); }]) {
      const { action, calls } = recording(replace);
      await applierFor(() => true).replaceAll(action, bans);
      expect(calls).toEqual(['replace 192.0.2.1,192.0.2.2,2001:db8::1', 'ban 192.0.2.1,192.0.2.2,2001:db8::1']);
    }
    const { action, calls } = recording();
    await applierFor(() => true).replaceAll(action, bans);
    expect(calls).toEqual(['ban 192.0.2.1,192.0.2.2,2001:db8::1']);
  });
});
