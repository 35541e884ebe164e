/**
 * What `<HOST>` expands to in a filter rule.
 *
 * The pattern only finds a *candidate*: it is deliberately loose about the numbers (`999.1.2.3` matches) and
 * strict about the shape, and every candidate then goes through `parseAddress`, which alone decides what an
 * address is. Host names never match: under `UseDNS yes` a server logs the reverse name, which the owner of
 * the address controls, so banning on it would let an attacker name a victim.
 *
 * Every quantifier is bounded and the alternatives start differently (a dotted quad has no `:`, the IPv6 branch
 * must see a `:` within its first five characters), so the group costs a bounded amount of work per starting
 * position whatever the input: a rule built as `prefix .* from <HOST> port \d+$` stays linear in the line.
 *
 * - IPv4: four groups of one to three digits (`parseAddress` refuses leading zeros and values over 255).
 * - IPv6: one to seven groups of at most four hex digits, each ending in a colon, then a last group or a
 *   dotted quad (`::ffff:192.0.2.1`, folded to IPv4 by `parseAddress`), optionally followed by a zone
 *   (`fe80::1%eth0`, dropped by `parseAddress`). Groups of at most four digits matter where a server glues
 *   the port to an IPv6 address without brackets (Apache's `[client 2001:db8::1:52314]`, HAProxy, dropbear):
 *   `52314` cannot be a group, so backtracking hands it to the rule's `:\d{1,5}`.
 */
const IPV4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
const IPV6 = String.raw`(?=[0-9A-Fa-f]{0,4}:)(?:[0-9A-Fa-f]{0,4}:){1,7}(?:${IPV4}|[0-9A-Fa-f]{0,4})(?:%[0-9A-Za-z._-]{1,32})?`;

/** The regex source `<HOST>` expands to: one named group, `host`. */
export const HOST_PATTERN = `(?<host>${IPV4}|${IPV6})`;

/** The group name a compiled rule exposes the candidate address under. */
export const HOST_GROUP = 'host';
