import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { parseAddress, formatIPv4, formatIPv6, type Address } from '../core/address.js';

/**
 * The machine's own addresses and its default gateways: banning one of them would lock the administrator
 * out or cut the host off, so `whitelist_self` keeps them safe. Read once at start (and on reload).
 */
export function selfAddresses(): Address[] {
  const out = new Set<Address>();
  for (const list of Object.values(networkInterfaces())) {
    for (const ni of list ?? []) {
      const a = parseAddress(ni.address);
      if (a) out.add(a);
    }
  }
  for (const gw of defaultGateways()) out.add(gw);
  return [...out];
}

/** Default routes' gateways from /proc (Linux); elsewhere none are found and only interfaces count. */
export function defaultGateways(): Address[] {
  const out: Address[] = [];
  try {
    for (const line of readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 3 || f[1] !== '00000000' || !f[2] || f[2] === '00000000') continue;
      const le = parseInt(f[2], 16); // /proc writes the gateway little-endian
      const v = ((le & 255) << 24 | ((le >>> 8) & 255) << 16 | ((le >>> 16) & 255) << 8 | (le >>> 24)) >>> 0;
      const a = parseAddress(formatIPv4(v));
      if (a) out.push(a);
    }
  } catch { /* not Linux, or /proc hidden */ }
  try {
    for (const line of readFileSync('/proc/net/ipv6_route', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5 || f[0] !== '0'.repeat(32) || f[1] !== '00' || !f[4] || /^0+$/.test(f[4])) continue;
      const groups = Array.from({ length: 8 }, (_, i) => parseInt((f[4] as string).slice(i * 4, i * 4 + 4), 16));
      const a = parseAddress(formatIPv6(groups));
      if (a) out.push(a);
    }
  } catch { /* no IPv6 */ }
  return out;
}
