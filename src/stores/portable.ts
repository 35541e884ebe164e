/**
 * The export format of `dictdefence store export | import`, and the one rule every store applies on import.
 * JSON lines: a header naming the format, then one line per ban row. JSON lines rather than one document so
 * that an export of a million rows streams both ways, and a truncated file still imports every whole line.
 */
import { parseAddress } from '../core/address.js';
import { err, ok, type Result } from '../core/types.js';
import type { PortableBan, StoredBan } from './store.js';

export const EXPORT_FORMAT = 'dictdefence-export';
export const EXPORT_VERSION = 1;

export interface ExportHeader {
  readonly kind: typeof EXPORT_FORMAT;
  readonly version: number;
  /** The store type it came from, for the reader's information only. */
  readonly store: string;
  readonly exportedAt: string;
}

export type ExportLine = { readonly kind: 'header'; readonly header: ExportHeader } | { readonly kind: 'ban'; readonly ban: PortableBan };

export const formatHeader = (store: string, now: number): string =>
  `${JSON.stringify({ kind: EXPORT_FORMAT, version: EXPORT_VERSION, store, exportedAt: new Date(now).toISOString() })}\n`;

/** Field order fixed, id left out: ids are store-local, the identity of a ban is jail, address and bannedAt. */
export const formatBan = (b: StoredBan | PortableBan): string => `${JSON.stringify({
  kind: 'ban', address: b.address, jail: b.jail, bannedAt: b.bannedAt, until: b.until, count: b.count,
  reason: b.reason, origin: b.origin, liftedAt: b.liftedAt, liftReason: b.liftReason,
})}\n`;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isIntOrNull = (v: unknown): v is number | null => v === null || isInt(v);
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

/**
 * Parses one line of an export. Every value is checked here, at the boundary: an address must parse (an
 * import never writes a string the daemon would later hand to a firewall), times are integers.
 */
export function parseExportLine(text: string): Result<ExportLine> {
  let value: unknown;
  try { value = JSON.parse(text); } catch { return err('not JSON'); }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return err('not a JSON object');
  const o = value as Record<string, unknown>;
  if (o.kind === EXPORT_FORMAT) {
    if (o.version !== EXPORT_VERSION) return err(`export version ${String(o.version)} is not supported (this version reads ${EXPORT_VERSION})`);
    return ok({ kind: 'header', header: { kind: EXPORT_FORMAT, version: EXPORT_VERSION, store: String(o.store), exportedAt: String(o.exportedAt) } });
  }
  if (o.kind !== 'ban') return err(`unknown kind "${String(o.kind)}"`);
  const address = typeof o.address === 'string' ? parseAddress(o.address) : undefined;
  if (address === undefined) return err(`invalid address "${String(o.address)}"`);
  if (typeof o.jail !== 'string' || o.jail === '') return err('"jail" must be a non-empty string');
  if (!isInt(o.bannedAt) || !isIntOrNull(o.until) || !isInt(o.count) || o.count < 1) {
    return err('"bannedAt" and "count" must be integers and "until" an integer or null');
  }
  if (typeof o.reason !== 'string' || typeof o.origin !== 'string') return err('"reason" and "origin" must be strings');
  if (!isIntOrNull(o.liftedAt) || !isStringOrNull(o.liftReason)) return err('"liftedAt" must be an integer or null');
  return ok({
    kind: 'ban',
    ban: {
      address, jail: o.jail, bannedAt: o.bannedAt, until: o.until, count: o.count, reason: o.reason, origin: o.origin,
      liftedAt: o.liftedAt, liftReason: o.liftedAt === null ? null : (o.liftReason ?? 'imported'),
    },
  });
}

export type ImportDecision = 'add' | 'lift' | 'skip';

/**
 * What a store does with one imported row, the same for every store so that any round trip ends alike.
 * `same` is this store's row with the same jail, address and `bannedAt`; `otherActive` says whether the jail
 * and address have another active ban here. A ban lifted in the import but active here is lifted (the import
 * is newer news); an active import never displaces the active ban this store already has.
 */
export function decideImport(row: PortableBan, same: { readonly liftedAt: number | null } | undefined, otherActive: boolean): ImportDecision {
  if (same !== undefined) return same.liftedAt === null && row.liftedAt !== null ? 'lift' : 'skip';
  return row.liftedAt === null && otherActive ? 'skip' : 'add';
}

/** Counts decisions into an {@link ImportResult}-shaped tally. */
export function tally(): { add(d: ImportDecision): void; result(): { added: number; lifted: number; skipped: number } } {
  let added = 0, lifted = 0, skipped = 0;
  return {
    add(d) { if (d === 'add') added++; else if (d === 'lift') lifted++; else skipped++; },
    result: () => ({ added, lifted, skipped }),
  };
}
