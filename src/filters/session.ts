import type { Address } from '../core/address.js';
import { ownString } from '../core/own-string.js';

/**
 * Sessions: the lines one server process writes about one connection, linked by an id the filter's prefix
 * captures from the head the server or syslog writes (`host sshd[4242]: `). fail2ban's multi-line failures
 * (`F-MLFID`) in a form that keeps bounded state:
 *
 * - a rule without `<HOST>` is a failure of the session's address, known from an earlier line or, when none
 *   is known yet, pending until a later line of the same session names it;
 * - a `nofail` rule names the session's address without being a failure, unless failures are pending or
 *   the session has tried more than one user name (then it is one);
 * - a `gained` rule (a successful login) forgets pending failures, and is no failure unless the session
 *   tried several user names (an attacker guessing names, then logging in with a known one);
 * - a `forget` rule ends the session after its line.
 *
 * The address a session remembers comes only from `<HOST>` in a rule that matched the line, parsed like every
 * other (attacker text that looks like an address elsewhere on the line never reaches it), and only lines
 * with the same id share it: no line is ever judged with the address of another session. A line naming a
 * different address than its session's starts a new session: what the old one knew never passes to it.
 */
export type SessionFlag = 'nofail' | 'forget' | 'gained';
export const SESSION_FLAGS: readonly SessionFlag[] = ['nofail', 'forget', 'gained'];

/** A filter's `session:` mapping, validated. */
export interface SessionDef {
  /** The name of the prefix's capture group whose text identifies a session. */
  readonly id: string;
  /** Sessions remembered at once; the one idle longest goes first when a new one would exceed it. */
  readonly max: number;
  /** A session whose last line is older than this (ms, by line time) is forgotten. */
  readonly expire: number;
}

export const SESSION_DEFAULTS = { max: 10_000, expire: 600_000 } as const;

/** What a rule does to its session. */
export interface SessionRole {
  readonly nofail: boolean;
  readonly forget: boolean;
  readonly gained: boolean;
}

export const roleOf = (flags: readonly SessionFlag[]): SessionRole =>
  ({ nofail: flags.includes('nofail'), forget: flags.includes('forget'), gained: flags.includes('gained') });

/** User names are the client's to choose: only the first is kept, cut to this length, to tell a second one apart. */
const USER_MAX = 256;
/** Pending failures counted per session; more would change nothing (they are released as one failure). */
const PENDING_MAX = 1_000;

interface Session {
  host: Address | undefined;
  pending: number;
  user: string | undefined;
  /** Distinct user names seen, counted up to 2: all that matters is whether there was more than one. */
  users: number;
  last: number;
}

export interface Sessions {
  /**
   * Judges one line a rule matched: the address of the failure it is, or `undefined`. `id` is the session's
   * id (`undefined` or `''` when the prefix did not capture one: the line is judged alone), `own` the address the
   * rule's `<HOST>` matched (already parsed), `user` the user name the rule captured, `time` the line's time
   * (ms). Called once per matched line, in log order; updates the state.
   */
  judge(id: string | undefined, role: SessionRole, own: Address | undefined, user: string | undefined, time: number): Address | undefined;
  /** Sessions held now (expired ones may still be counted until they are touched or pushed out). */
  readonly size: number;
}

export function createSessions(def: Pick<SessionDef, 'max' | 'expire'>): Sessions {
  // Map order is the order of last use: the first entry is the session idle longest.
  const map = new Map<string, Session>();
  const { max, expire } = def;

  function keep(id: string, s: Session): void {
    for (const [oldId, old] of map) {
      if (map.size < max && s.last - old.last <= expire) break;
      map.delete(oldId);
    }
    map.set(id, s);
  }

  function judge(id: string | undefined, role: SessionRole, own: Address | undefined, user: string | undefined, time: number): Address | undefined {
    const nofail = role.nofail || role.gained;
    let s = id === undefined || id === '' ? undefined : map.get(id);
    if (s !== undefined) {
      map.delete(id!);
      // A line naming another address than the session's starts over: a new connection under a reused id,
      // or a rule a client steered (a user name ending in an address) — either way not this session's.
      if (time - s.last > expire || (own !== undefined && s.host !== undefined && own !== s.host)) s = undefined;
    }
    if (s === undefined) {
      // A line that ends a session nothing is known about, or has no id, is judged alone.
      if (role.forget || id === undefined || id === '') return nofail ? undefined : own;
      s = { host: undefined, pending: 0, user: undefined, users: 0, last: time };
    }
    if (user !== undefined && user !== '') {
      const name = user.length > USER_MAX ? user.slice(0, USER_MAX) : user;
      if (s.user === undefined) {
        s.user = ownString(name);
        s.users = 1;
      } else if (s.user !== name) {
        s.users = 2;
      }
    }
    if (role.gained) s.pending = 0;
    if (own !== undefined) s.host = own;
    const address = own ?? s.host;
    let failure: Address | undefined;
    if (address === undefined) {
      if (!nofail) s.pending = Math.min(s.pending + 1, PENDING_MAX);
    } else if (!nofail || s.pending > 0 || s.users > 1) {
      failure = address;
      s.pending = 0;
    }
    s.last = time;
    // The id is kept as the map's key, the user name in the session: both outlive the line they were cut from.
    if (!role.forget) keep(ownString(id!), s);
    return failure;
  }

  return { judge, get size() { return map.size; } };
}
