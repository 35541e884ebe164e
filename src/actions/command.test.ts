import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Address } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { createStandIn, type StandIn } from '../../test/stand-in.js';
import { banOf, deps, expectOk } from './action.contract.js';
import { createCommandAction, unknownPlaceholders, type CommandOptions } from './command.js';

const options = (extra: Partial<CommandOptions> & Pick<CommandOptions, 'ban'>): CommandOptions =>
  ({ unban: undefined, init: undefined, flush: undefined, close: undefined, timeout: undefined, parallel: undefined, ...extra });

/** Is process `pid` still running? A zombie (killed, not yet reaped by init) counts as gone. */
const alive = (pid: number): boolean => {
  try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};

describe('command action', () => {
  let tool: StandIn;
  let dir: string;
  beforeAll(() => { tool = createStandIn('block'); dir = mkdtempSync(join(tmpdir(), 'dd-command-')); });
  afterAll(() => { tool.remove(); rmSync(dir, { recursive: true, force: true }); });
  beforeEach(() => { tool.clear(); tool.reply([]); });

  it('substitutes placeholders inside arguments, each argument staying one argument', async () => {
    const a = createCommandAction('record', options({
      ban: [tool.path, '--address={address}', '{jail}', 'for {time} s', '{family}', '{count}', '{until_epoch}', '{unknown}'],
    }), deps);
    const ban: Ban = { ...banOf('2001:db8::7', 90), jail: 'postfix sasl', count: 3 };
    expectOk(await a.ban([ban]));
    const [call] = tool.calls();
    expect(call?.slice(0, 4)).toEqual(['--address=2001:db8::7', 'postfix sasl', expect.stringMatching(/^for (89|90) s$/), 'inet6']);
    expect(call?.slice(4)).toEqual(['3', String(Math.floor((ban.until ?? 0) / 1000)), '{unknown}']);
  });

  it('passes hostile-looking text as one literal argument that no shell ever interprets', async () => {
    const marker = join(dir, 'pwned');
    // An Address can only come from the parser, which refuses this; forced here to prove exec is inert anyway.
    const hostile = `1.2.3.4; touch ${marker} $(touch ${marker}) \`touch ${marker}\`` as Address;
    const a = createCommandAction('record', options({ ban: [tool.path, '{address}', '{jail}'] }), deps);
    expectOk(await a.ban([{ ...banOf('192.0.2.1'), address: hostile, jail: '$(id)|&;<>' }]));
    expect(tool.calls()).toEqual([[hostile, '$(id)|&;<>']]);
    expect(existsSync(marker)).toBe(false);
  });

  it('kills a command that outlives its timeout together with the child it started', async () => {
    const pidfile = join(dir, 'child.pid');
    const spawner = 'const c = require("node:child_process").spawn("sleep", ["300"], { stdio: "ignore" });' +
      'require("node:fs").writeFileSync(process.argv[1], String(c.pid)); setInterval(() => {}, 1000);';
    const a = createCommandAction('slow', options({ ban: [process.execPath, '-e', spawner, pidfile], timeout: 1_000 }), deps);
    const t0 = Date.now();
    const r = await a.ban([banOf('192.0.2.1')]);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/timed out after 1000 ms and was killed/);
    const child = Number(readFileSync(pidfile, 'utf8'));
    // The kill is asynchronous; give the kernel a moment to reap the orphaned sleep.
    for (let i = 0; i < 50 && alive(child); i++) await new Promise((res) => setTimeout(res, 20));
    expect(alive(child)).toBe(false);
  });

  it('reports a failing command with its exit status and stderr, and only the bans that failed', async () => {
    tool.reply([{ args: ['192.0.2.2'], code: 3, stderr: 'block: table full\n' }]);
    const a = createCommandAction('record', options({ ban: [tool.path, '{address}'] }), deps);
    const r = await a.ban([banOf('192.0.2.1'), banOf('192.0.2.2'), banOf('192.0.2.3')]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failed.map((b) => b.address)).toEqual(['192.0.2.2']);
    expect(r.error).toMatch(/^Command ".*block\.cjs" failed \(exit 3\): block: table full$/);
    expect(tool.calls()).toHaveLength(3);
  });

  it('reports a missing program as a failure instead of throwing', async () => {
    const r = await createCommandAction('record', options({ ban: ['/nonexistent/block', '{address}'] }), deps).ban([banOf('192.0.2.1')]);
    expect(r).toMatchObject({ ok: false, error: 'Cannot run "/nonexistent/block": not found' });
  });

  it('runs the verbs without a command as no-ops', async () => {
    const a = createCommandAction('record', options({ ban: [tool.path, '{address}'] }), deps);
    for (const r of [await a.init(), await a.unban([banOf('192.0.2.1')]), await a.flush(), await a.close()]) expectOk(r);
    expect(tool.calls()).toEqual([]);
  });

  it('names unknown placeholders so the config loader can reject them', () => {
    expect(unknownPlaceholders(['x', '{address}', '{adress}', '--{ip}'])).toEqual(['{adress}', '{ip}']);
  });
});
