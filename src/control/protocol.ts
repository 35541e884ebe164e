/**
 * The control protocol: one JSON object per line over a Unix socket. The client sends one request line; the
 * daemon answers one reply line and closes the connection. A request over `MAX_REQUEST` bytes, one that is not
 * JSON, or one with an unknown command or field gets an error reply and the connection is closed; the daemon
 * goes on unaffected.
 */
export const MAX_REQUEST = 64 * 1024;

export type Request =
  | { readonly command: 'status' }
  | { readonly command: 'bans'; readonly jail?: string }
  | { readonly command: 'ban'; readonly address: string; readonly jail?: string; readonly forMs?: number; readonly permanent?: boolean; readonly force?: boolean }
  | { readonly command: 'unban'; readonly address: string; readonly jail?: string; readonly allJails?: boolean }
  | { readonly command: 'why'; readonly address: string }
  | { readonly command: 'reload' }
  | { readonly command: 'stop' };

export type Command = Request['command'];

export type Reply<T = unknown> = { readonly ok: true; readonly result: T } | { readonly ok: false; readonly error: string; readonly details?: readonly string[] };

/** A ban as the protocol carries it: times in ms since the epoch, `until: null` when permanent. */
export interface BanRow {
  readonly address: string; readonly jail: string; readonly bannedAt: number; readonly until: number | null;
  readonly count: number; readonly reason: string;
}

export interface StatusResult {
  readonly version: string; readonly pid: number; readonly configFile: string; readonly startedAt: number; readonly uptimeMs: number;
  readonly dryRun: boolean;
  readonly counters: Readonly<Record<string, number>>;
  readonly store: { readonly type: string; readonly activeBans?: number; readonly historyRows?: number; readonly hitRows?: number; readonly error?: string };
  readonly jails: readonly {
    readonly name: string; readonly filter: string; readonly activeBans: number; readonly tracked: number;
    readonly counters: Readonly<Record<string, number>>;
    readonly sources: readonly { readonly id: string; readonly counters: Readonly<Record<string, number>> }[];
    readonly actions: readonly string[]; readonly notifiers: readonly string[];
  }[];
  readonly notifiers: readonly { readonly name: string; readonly sent: number; readonly failed: number; readonly dropped: number }[];
}

export interface WhyResult {
  readonly address: string;
  readonly whitelisted: string | null;
  readonly active: readonly BanRow[];
  readonly history: readonly (BanRow & { readonly liftedAt: number | null; readonly liftReason: string | null })[];
  /** Recorded hits, newest first: the lines behind bans (from the store) and those still being counted. */
  readonly hits: readonly { readonly jail: string; readonly at: number; readonly line: string; readonly rule: string | null; readonly pending: boolean }[];
}

export interface ReloadResult {
  readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[];
  readonly kept: readonly string[]; readonly needRestart: readonly string[];
}

const FIELDS: Record<Command, Record<string, 'string' | 'number' | 'boolean'>> = {
  status: {}, reload: {}, stop: {},
  bans: { jail: 'string' },
  ban: { address: 'string', jail: 'string', forMs: 'number', permanent: 'boolean', force: 'boolean' },
  unban: { address: 'string', jail: 'string', allJails: 'boolean' },
  why: { address: 'string' },
};
const REQUIRED: Partial<Record<Command, string[]>> = { ban: ['address'], unban: ['address'], why: ['address'] };

export const isCommand = (c: unknown): c is Command => typeof c === 'string' && Object.hasOwn(FIELDS, c);

/** Checks a request line strictly; the error names what is wrong. */
export function parseRequest(line: string): { ok: true; request: Request } | { ok: false; error: string } {
  let value: unknown;
  try { value = JSON.parse(line); } catch { return { ok: false, error: 'Invalid request: not JSON' }; }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'Invalid request: expected a JSON object' };
  const o = value as Record<string, unknown>;
  if (!isCommand(o.command)) {
    return { ok: false, error: `Unknown command ${JSON.stringify(o.command ?? null).slice(0, 60)} (known: ${Object.keys(FIELDS).join(', ')})` };
  }
  const fields = FIELDS[o.command];
  for (const [k, v] of Object.entries(o)) {
    if (k === 'command') continue;
    const want = fields[k];
    if (!want) return { ok: false, error: `Invalid request: unknown field "${k.slice(0, 60)}" for "${o.command}"` };
    if (typeof v !== want) return { ok: false, error: `Invalid request: "${k}" must be a ${want}` };
  }
  for (const k of REQUIRED[o.command] ?? []) if (o[k] === undefined) return { ok: false, error: `Invalid request: "${o.command}" needs "${k}"` };
  if (o.forMs !== undefined && !(Number.isFinite(o.forMs) && (o.forMs as number) > 0)) return { ok: false, error: 'Invalid request: "forMs" must be a positive number' };
  return { ok: true, request: o as unknown as Request };
}
