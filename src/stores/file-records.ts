import type { Position } from '../sources/source.js';
import type { HitRecord, JournalRecord } from './file-state.js';

/**
 * Checks one journal line. The journal is ours, but a line may be torn by a crash or damaged on disk, and a
 * record that is only half right must not reach the state: `undefined` means "not a record", and the reader
 * decides whether that is a torn end or damage. Addresses are checked later, by the state, which counts them.
 */
export function parseRecord(text: string): JournalRecord | undefined {
  let value: unknown;
  try { value = JSON.parse(text); } catch { return undefined; }
  if (!isObject(value)) return undefined;
  const o = value;
  switch (o.op) {
    case 'header':
      return typeof o.format === 'string' && isInt(o.version) && isInt(o.nextId)
        ? { op: 'header', format: o.format, version: o.version, nextId: o.nextId } : undefined;
    case 'ban':
      return isInt(o.id) && typeof o.address === 'string' && typeof o.jail === 'string' && isInt(o.bannedAt)
        && isIntOrNull(o.until) && isInt(o.count) && typeof o.reason === 'string' && typeof o.origin === 'string'
        && isIntOrNull(o.liftedAt) && (o.liftReason === null || typeof o.liftReason === 'string')
        ? {
            op: 'ban', id: o.id, address: o.address, jail: o.jail, bannedAt: o.bannedAt, until: o.until, count: o.count,
            reason: o.reason, origin: o.origin, liftedAt: o.liftedAt, liftReason: o.liftReason,
          }
        : undefined;
    case 'lift':
      return isInt(o.id) && isInt(o.at) && typeof o.reason === 'string' ? { op: 'lift', id: o.id, at: o.at, reason: o.reason } : undefined;
    case 'hits': {
      if (!isInt(o.keep) || !Array.isArray(o.hits)) return undefined;
      const hits: HitRecord[] = [];
      for (const h of o.hits) {
        const hit = parseHit(h);
        if (hit === undefined) return undefined;
        hits.push(hit);
      }
      return { op: 'hits', keep: o.keep, hits };
    }
    case 'pos':
      return typeof o.key === 'string' && isPosition(o.value) && isInt(o.at) ? { op: 'pos', key: o.key, value: o.value, at: o.at } : undefined;
    case 'prune':
      return isInt(o.before) ? { op: 'prune', before: o.before } : undefined;
    default:
      return undefined;
  }
}

function parseHit(h: unknown): HitRecord | undefined {
  if (!isObject(h)) return undefined;
  if (typeof h.address !== 'string' || typeof h.jail !== 'string' || !isInt(h.at) || typeof h.line !== 'string') return undefined;
  const hit = { address: h.address, jail: h.jail, at: h.at, line: h.line };
  if (h.rule === undefined) return hit;
  return isInt(h.rule) ? { ...hit, rule: h.rule } : undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isIntOrNull = (v: unknown): v is number | null => v === null || isInt(v);

function isPosition(v: unknown): v is Position {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number');
}
