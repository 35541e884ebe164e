import type { LogLine } from '../core/types.js';
import { hasSyslogHead, programWord } from '../filters/program.js';
import type { Source } from '../sources/source.js';
import type { Jail } from './jail.js';

/**
 * Hands the lines of one source to the jails that read it, reading each line's head once (filters/program.ts)
 * however many jails there are:
 * - a line whose syslog head is certain goes to the jails whose filter names its program (`Filter.programs`)
 *   and to those whose filter names none;
 * - a line with no syslog head at all skips the filters that require one (`Filter.syslogOnly`);
 * - any other line goes to every jail.
 * Jails get their share in log order, one jail after the other in the order given, as if each had read the
 * whole batch; every jail counts the whole batch as delivered (`JailCounters.lines`).
 */
export interface LineRouter {
  /** Synchronous and never throws (as `Jail.handle`). */
  deliver(lines: readonly LogLine[]): void;
  /**
   * Present when the source has one reader, whose jail takes lines as bytes (`Jail.takeBytes`): hands it
   * the line `b[start, end)` before any string is made of it. Synchronous and never throws.
   */
  readonly take?: (b: Buffer, start: number, end: number, source: string, receivedAt: number) => void;
}

export function createLineRouter(jails: readonly Jail[]): LineRouter {
  const indexes = (keep: (j: Jail) => boolean): number[] => jails.flatMap((j, i) => (keep(j) ? [i] : []));
  const all = indexes(() => true);
  const unnamed = indexes((j) => j.filter.programs === undefined);
  const noHead = indexes((j) => j.filter.syslogOnly !== true);
  const byWord = new Map<string, number[]>();
  for (const w of new Set(jails.flatMap((j) => j.filter.programs ?? []))) {
    byWord.set(w, indexes((j) => j.filter.programs === undefined || j.filter.programs.includes(w)));
  }
  // One jail, or no filter that says what it reads: the heads would be read for nothing.
  if (jails.length < 2 || (unnamed.length === jails.length && noHead.length === jails.length)) {
    const take = jails.length === 1 ? jails[0]!.takeBytes : undefined;
    return { deliver: (lines) => { for (const j of jails) j.handle(lines); }, ...(take === undefined ? {} : { take }) };
  }

  return {
    deliver(lines) {
      const shares: LogLine[][] = jails.map(() => []);
      for (const line of lines) {
        const w = programWord(line.text);
        const to = w !== undefined ? (byWord.get(w) ?? unnamed) : hasSyslogHead(line.text) ? all : noHead;
        for (let k = 0; k < to.length; k++) shares[to[k]!]!.push(line);
      }
      for (let i = 0; i < jails.length; i++) jails[i]!.handle(shares[i]!, lines.length);
    },
  };
}

/** A router per source, for the jails that read it (in the order given). */
export function routersBySource(jails: Iterable<Jail>): Map<Source, LineRouter> {
  const readers = new Map<Source, Jail[]>();
  for (const j of jails) for (const s of j.sources) readers.set(s, [...(readers.get(s) ?? []), j]);
  return new Map([...readers].map(([s, list]) => [s, createLineRouter(list)]));
}
