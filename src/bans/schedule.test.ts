import { describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import { ManualClock } from '../core/clock.js';
import type { Ban } from '../core/types.js';
import { createUnbanSchedule, type UnbanSchedule } from './schedule.js';

const DAY = 86_400_000;
const addr = (text: string): Address => parseAddress(text) as Address;
const ban = (address: string, until: number | null, jail = 'sshd'): Ban =>
  ({ address: addr(address), jail, bannedAt: 0, until, count: 1, reason: 'test' });

/** A schedule on a ManualClock that records each onDue batch as `jail/address` lists. */
function setup(): { clock: ManualClock; schedule: UnbanSchedule; batches: string[][]; times: number[] } {
  const clock = new ManualClock();
  const batches: string[][] = [];
  const times: number[] = [];
  const schedule = createUnbanSchedule(clock, (bans) => {
    batches.push(bans.map((b) => `${b.jail}/${b.address}`));
    times.push(clock.now());
  });
  return { clock, schedule, batches, times };
}

describe('createUnbanSchedule', () => {
  it('lifts bans in the order they end, each at its time', () => {
    const { clock, schedule, batches, times } = setup();
    schedule.add(ban('10.0.0.3', 3000));
    schedule.add(ban('10.0.0.1', 1000));
    schedule.add(ban('10.0.0.2', 2000));
    clock.advance(10_000);
    expect(batches).toEqual([['sshd/10.0.0.1'], ['sshd/10.0.0.2'], ['sshd/10.0.0.3']]);
    expect(times).toEqual([1000, 2000, 3000]);
    expect(schedule.size).toBe(0);
  });

  it('does not lift a ban before its time', () => {
    const { clock, schedule, batches } = setup();
    schedule.add(ban('10.0.0.1', 1000));
    clock.advance(999);
    expect(batches).toEqual([]);
    clock.advance(1);
    expect(batches).toEqual([['sshd/10.0.0.1']]);
  });

  it('delivers bans that end at the same time in one batch', () => {
    const { clock, schedule, batches } = setup();
    for (const a of ['10.0.0.1', '10.0.0.2', '2001:db8::1']) schedule.add(ban(a, 5000));
    schedule.add(ban('10.0.0.9', 6000));
    clock.advance(5000);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.sort()).toEqual(['sshd/10.0.0.1', 'sshd/10.0.0.2', 'sshd/2001:db8::1']);
  });

  it('delivers in one batch every ban that came due while its timer was late', () => {
    const clock = new ManualClock();
    const fired: string[][] = [];
    // A timer that fires late (process suspended, event loop blocked) finds several bans due at once.
    const lateClock = { now: () => clock.now(), setTimer: (at: number, fn: () => void) => clock.setTimer(Math.max(at, 5000), fn) };
    const schedule = createUnbanSchedule(lateClock, (bans) => fired.push(bans.map((b) => b.address)));
    schedule.add(ban('10.0.0.2', 2000));
    schedule.add(ban('10.0.0.1', 1000));
    schedule.add(ban('10.0.0.3', 9000));
    clock.advance(5000);
    expect(fired).toEqual([['10.0.0.1', '10.0.0.2']]);
    expect(schedule.size).toBe(1);
    clock.advance(4000);
    expect(fired).toEqual([['10.0.0.1', '10.0.0.2'], ['10.0.0.3']]);
  });

  it('never lifts a removed ban', () => {
    const { clock, schedule, batches } = setup();
    schedule.add(ban('10.0.0.1', 1000));
    schedule.add(ban('10.0.0.2', 2000));
    expect(schedule.remove('sshd', addr('10.0.0.1'))).toBe(true);
    expect(schedule.remove('sshd', addr('10.0.0.1'))).toBe(false);
    clock.advance(10_000);
    expect(batches).toEqual([['sshd/10.0.0.2']]);
  });

  it('keeps the same address in different jails apart', () => {
    const { clock, schedule, batches } = setup();
    schedule.add(ban('10.0.0.1', 1000, 'sshd'));
    schedule.add(ban('10.0.0.1', 2000, 'postfix'));
    schedule.remove('postfix', addr('10.0.0.1'));
    clock.advance(10_000);
    expect(batches).toEqual([['sshd/10.0.0.1']]);
  });

  it('uses the new end when the same ban is added again, later or sooner', () => {
    const { clock, schedule, batches, times } = setup();
    schedule.add(ban('10.0.0.1', 1000));
    schedule.add(ban('10.0.0.1', 3000));
    schedule.add(ban('10.0.0.2', 5000));
    schedule.add(ban('10.0.0.2', 2000));
    expect(schedule.size).toBe(2);
    clock.advance(10_000);
    expect(batches).toEqual([['sshd/10.0.0.2'], ['sshd/10.0.0.1']]);
    expect(times).toEqual([2000, 3000]);
  });

  it('delivers the ban object added last for a key', () => {
    const clock = new ManualClock();
    const got: Ban[] = [];
    const schedule = createUnbanSchedule(clock, (bans) => got.push(...bans));
    schedule.add({ ...ban('10.0.0.1', 1000), count: 1 });
    const second = { ...ban('10.0.0.1', 1000), count: 2 };
    schedule.add(second);
    clock.advance(1000);
    expect(got).toEqual([second]);
  });

  it('ignores a permanent ban, and lets it cancel the pending unban it replaces', () => {
    const { clock, schedule, batches } = setup();
    schedule.add(ban('10.0.0.1', null));
    expect(schedule.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    schedule.add(ban('10.0.0.2', 1000));
    schedule.add(ban('10.0.0.2', null));
    clock.advance(10_000);
    expect(batches).toEqual([]);
    expect(schedule.size).toBe(0);
  });

  it('keeps exactly one timer while bans are pending and none when they are not', () => {
    const { clock, schedule } = setup();
    const check = (): void => { expect(clock.pendingTimers()).toBe(schedule.size > 0 ? 1 : 0); };
    check();
    for (let i = 0; i < 50; i++) { schedule.add(ban(`10.0.1.${i}`, 10_000 - i * 100)); check(); }
    for (let i = 0; i < 50; i += 2) { schedule.remove('sshd', addr(`10.0.1.${i}`)); check(); }
    for (let t = 0; t < 12_000; t += 250) { clock.advance(250); check(); }
    expect(schedule.size).toBe(0);
  });

  it('re-arms its timer to a later ban when the earliest is removed', () => {
    const { clock, schedule, times } = setup();
    schedule.add(ban('10.0.0.1', 1000));
    schedule.add(ban('10.0.0.2', 4000));
    schedule.remove('sshd', addr('10.0.0.1'));
    expect(schedule.next()).toBe(4000);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(10_000);
    expect(times).toEqual([4000]);
  });

  it('says when the next ban ends, or undefined when none is pending', () => {
    const { schedule } = setup();
    expect(schedule.next()).toBeUndefined();
    schedule.add(ban('10.0.0.1', 7000));
    schedule.add(ban('10.0.0.2', 3000));
    expect(schedule.next()).toBe(3000);
    schedule.remove('sshd', addr('10.0.0.2'));
    expect(schedule.next()).toBe(7000);
  });

  it('lifts a ban thirty days away, which no single setTimeout can wait for', () => {
    const { clock, schedule, times } = setup();
    schedule.add(ban('10.0.0.1', 30 * DAY));
    schedule.add(ban('10.0.0.2', 400 * DAY));
    clock.advance(29 * DAY);
    expect(times).toEqual([]);
    clock.advance(1 * DAY);
    expect(times).toEqual([30 * DAY]);
    expect(schedule.next()).toBe(400 * DAY);
  });

  it('lets onDue add and remove bans, and schedules what it adds', () => {
    const clock = new ManualClock();
    const lifted: string[] = [];
    const schedule: UnbanSchedule = createUnbanSchedule(clock, (bans) => {
      for (const b of bans) lifted.push(`${b.address}@${clock.now()}`);
      if (lifted.length === 1) {
        schedule.add(ban('10.0.0.3', clock.now() + 500));
        schedule.remove('sshd', addr('10.0.0.2'));
      }
    });
    schedule.add(ban('10.0.0.1', 1000));
    schedule.add(ban('10.0.0.2', 2000));
    clock.advance(10_000);
    expect(lifted).toEqual(['10.0.0.1@1000', '10.0.0.3@1500']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('lifts a ban added with an end already past at the next turn of the clock', () => {
    const { clock, schedule, times } = setup();
    clock.advance(5000);
    schedule.add(ban('10.0.0.1', 1000));
    expect(times).toEqual([]);
    clock.advance(0);
    expect(times).toEqual([5000]);
  });

  it('forgets everything and disarms on clear', () => {
    const { clock, schedule, batches } = setup();
    schedule.add(ban('10.0.0.1', 1000));
    schedule.add(ban('10.0.0.2', 2000));
    schedule.clear();
    expect(schedule.size).toBe(0);
    expect(schedule.next()).toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(10_000);
    expect(batches).toEqual([]);
    schedule.add(ban('10.0.0.3', 12_000));
    clock.advance(2000);
    expect(batches).toEqual([['sshd/10.0.0.3']]);
  });

  it('lifts each ban once, at its last end, after it has been replaced a thousand times', () => {
    const { clock, schedule, batches } = setup();
    for (let round = 0; round < 1000; round++) {
      for (let i = 0; i < 10; i++) schedule.add(ban(`10.0.2.${i}`, 1_000_000 + round));
    }
    expect(schedule.size).toBe(10);
    clock.advance(2_000_000);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(10);
  });

  it('addMany schedules as the same adds one by one: replacements, permanent bans, two jails, same order and times', () => {
    const list: Ban[] = [];
    for (let i = 0; i < 300; i++) {
      const address = `10.0.0.${i % 40}`;
      // Replaced bans (the same address again), permanent ones cancelling, equal ends, another jail.
      list.push(ban(address, i % 11 === 0 ? null : 1000 + ((i * 37) % 500) * 10, i % 3 === 0 ? 'postfix' : 'sshd'));
    }
    const one = setup(), many = setup();
    for (const b of list) one.schedule.add(b);
    many.schedule.addMany(list.slice(0, 120));
    many.schedule.addMany(list.slice(120));
    expect(many.schedule.size).toBe(one.schedule.size);
    expect(many.schedule.next()).toBe(one.schedule.next());
    one.clock.advance(10_000);
    many.clock.advance(10_000);
    expect(many.times).toEqual(one.times);
    expect(many.batches.map((b) => [...b].sort())).toEqual(one.batches.map((b) => [...b].sort()));
    expect(one.batches.flat().length).toBeGreaterThan(40);
    expect(many.schedule.size).toBe(0);
  });
});
