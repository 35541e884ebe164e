import { describe, expect, it } from 'vitest';
import { parseAddress, type Address } from '../core/address.js';
import type { Ban } from '../core/types.js';
import { createActiveBans } from './active-bans.js';

const A = parseAddress('192.0.2.1') as Address;
const B = parseAddress('2001:db8::1') as Address;
const ban = (jail: string, address: Address, bannedAt = 1): Ban => ({ address, jail, bannedAt, until: null, count: 1, reason: 'test' });

describe('active bans', () => {
  it('keeps bans by jail and address: the same address in two jails is two bans', () => {
    const active = createActiveBans();
    active.set(ban('sshd', A));
    active.set(ban('postfix', A, 2));
    active.set(ban('sshd', B));
    expect(active.isBanned('sshd', A)).toBe(true);
    expect(active.isBanned('postfix', B)).toBe(false);
    expect(active.get('postfix', A)?.bannedAt).toBe(2);
    active.delete('sshd', A);
    expect(active.isBanned('sshd', A)).toBe(false);
    expect(active.get('sshd', A)).toBeUndefined();
    expect(active.isBanned('postfix', A)).toBe(true);
    expect([...active.values()].map((b) => `${b.jail} ${b.address}`).sort()).toEqual(['postfix 192.0.2.1', 'sshd 2001:db8::1']);
    // Replacing a ban keeps one entry.
    active.set(ban('sshd', B, 5));
    expect([...active.values()]).toHaveLength(2);
    expect(active.get('sshd', B)?.bannedAt).toBe(5);
    active.delete('nojail', A); // no-op
    expect(active.isBanned('unknown', A)).toBe(false);
  });

  it('counts its changes: every set, a replacing one too, and every delete', () => {
    const active = createActiveBans();
    expect(active.changes()).toBe(0);
    active.set(ban('sshd', A));
    const before = active.changes();
    expect(before).toBe(1);
    expect(active.isBanned('sshd', A)).toBe(true);
    expect(active.changes()).toBe(before);
    active.set(ban('sshd', A, 2));
    expect(active.changes()).toBe(2);
    active.delete('sshd', A);
    expect(active.changes()).toBe(3);
  });
});

describe('active bans of one jail', () => {
  it('answer for the jail exactly as isBanned does, by text and IPv4 value, through bans, unbans and bans of other jails', () => {
    const active = createActiveBans();
    const sshd = (v: number): boolean => active.of('sshd').isBannedIPv4(v);
    const bound = active.of('sshd');
    const v = 0xc0000201; // 192.0.2.1
    expect(sshd(v)).toBe(false);
    active.set(ban('sshd', A));
    active.set(ban('sshd', B));
    active.set(ban('postfix', parseAddress('192.0.2.2') as Address));
    expect(sshd(v)).toBe(true);
    expect(sshd(v + 1)).toBe(false); // postfix's ban is postfix's
    expect(active.of('postfix').isBannedIPv4(v + 1)).toBe(true);
    expect(active.of('postfix').isBanned(A)).toBe(false);
    active.delete('sshd', A);
    expect(sshd(v)).toBe(false);
    // The jail's last ban gone and a new one set: the function handed out earlier still sees it.
    active.delete('sshd', B);
    active.set(ban('sshd', A, 9));
    expect(bound.isBannedIPv4(v)).toBe(true);
    expect(bound.isBanned(A)).toBe(true);
    expect(bound.isBanned(B)).toBe(false);
    // An IPv4-mapped IPv6 text is canonicalised to IPv4 before any ban is made of it.
    expect(parseAddress('::ffff:192.0.2.1')).toBe(A);
  });
});
