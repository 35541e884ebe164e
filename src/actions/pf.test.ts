import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStandIn, type StandIn } from '../../test/stand-in.js';
import { banOf, deps, expectOk } from './action.contract.js';
import { createPfAction, PF_CHUNK, type PfOptions } from './pf.js';

// pf cannot run on Linux: a recording stand-in for pfctl checks the exact argv the action sends.
describe('pf action (recording stand-in for pfctl)', () => {
  let pfctl: StandIn;
  beforeAll(() => { pfctl = createStandIn('pfctl'); });
  afterAll(() => pfctl.remove());
  beforeEach(() => { pfctl.clear(); pfctl.reply([]); });

  const make = (extra: Partial<PfOptions> = {}) => createPfAction('pf', {
    table: undefined, anchor: undefined, binary: pfctl.path, remove_on_stop: undefined, timeout: undefined, ...extra,
  }, deps);

  it('adds many addresses with one pfctl call and deletes them with another', async () => {
    const a = make();
    expectOk(await a.init());
    expectOk(await a.ban([banOf('192.0.2.1'), banOf('2001:db8::1'), banOf('198.51.100.7', null)]));
    expectOk(await a.unban([banOf('192.0.2.1')]));
    expect(pfctl.calls()).toEqual([
      ['-t', 'dictdefence', '-T', 'show'],
      ['-t', 'dictdefence', '-T', 'add', '192.0.2.1', '2001:db8::1', '198.51.100.7'],
      ['-t', 'dictdefence', '-T', 'delete', '192.0.2.1'],
    ]);
  });

  it('names the anchor and table from the options', async () => {
    const a = make({ anchor: 'dictdefence/ssh', table: 'brute' });
    expectOk(await a.ban([banOf('192.0.2.1')]));
    expectOk(await a.flush());
    expect(pfctl.calls()).toEqual([
      ['-a', 'dictdefence/ssh', '-t', 'brute', '-T', 'add', '192.0.2.1'],
      ['-a', 'dictdefence/ssh', '-t', 'brute', '-T', 'flush'],
    ]);
  });

  it(`splits a large batch into calls of ${PF_CHUNK} addresses`, async () => {
    const bans = Array.from({ length: 2500 }, (_, i) => banOf(`10.0.${i >> 8}.${i & 255}`));
    expectOk(await make().ban(bans));
    expect(pfctl.calls().map((c) => c.length - 4)).toEqual([1000, 1000, 500]);
  });

  it('empties the table at stop only with remove_on_stop', async () => {
    expectOk(await make().close());
    expect(pfctl.calls()).toEqual([]);
    expectOk(await make({ remove_on_stop: true }).close());
    expect(pfctl.calls()).toEqual([['-t', 'dictdefence', '-T', 'flush']]);
  });

  it('verify reports the expected bans the table no longer holds', async () => {
    pfctl.reply([{ args: ['show'], stdout: '   192.0.2.1\n   2001:db8::1\n' }]);
    const held = [banOf('192.0.2.1'), banOf('2001:db8::1')], lost = banOf('198.51.100.7');
    expect(await make().verify?.([...held, lost])).toEqual([lost]);
  });

  it('accepts a table that does not exist yet at init, and fails the bans pfctl refuses', async () => {
    pfctl.reply([
      { args: ['show'], code: 1, stderr: 'pfctl: Table does not exist.\n' },
      { args: ['add'], code: 1, stderr: 'pfctl: /dev/pf: Permission denied\n' },
    ]);
    const a = make();
    expectOk(await a.init());
    const r = await a.ban([banOf('192.0.2.1')]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failed.map((b) => b.address)).toEqual(['192.0.2.1']);
      expect(r.error).toMatch(/^Action "pf": Command ".*pfctl.cjs" failed \(exit 1\): pfctl: \/dev\/pf: Permission denied$/);
    }
  });

  it('refuses an anchor name that pfctl would read as an option', async () => {
    const r = await make({ anchor: '-F' }).init();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('Action "pf": invalid anchor name "-F"');
  });

  it('fails init with an error naming the action and the missing binary', async () => {
    const r = await make({ binary: '/nonexistent/pfctl' }).init();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toBe('Cannot start action "pf": "/nonexistent/pfctl" is not installed (set "binary" to its path)');
  });
});
