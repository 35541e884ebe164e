import type { LogLine } from '../core/types.js';
import type { Source, TakeBytes } from '../sources/source.js';
import type { Jail } from './jail.js';

/**
 * Which sources are being followed, each with its own abort signal, so that a reload can stop the sources
 * no jail uses any more and start new ones while the others keep reading without a pause.
 */
export interface SourceFollower {
  /**
   * Starts every source of `jails` not followed yet, once however many jails share it; stops (and awaits)
   * those no jail uses. `deliver` gets each batch once, with the source it came from.
   */
  follow(jails: ReadonlyMap<string, Jail>, deliver: (source: Source, lines: LogLine[]) => void, take?: SourceTakeBytes): Promise<void>;
  stopAll(): Promise<void>;
}

/** Who takes the lines of the next chunk of `source` as bytes (Source.start's `takeBytes`). */
export type SourceTakeBytes = (source: Source) => TakeBytes | undefined;

export function createSourceFollower(): SourceFollower {
  const following = new Map<Source, AbortController>();
  return {
    async follow(jails, deliver, take) {
      const wanted = new Set<Source>();
      for (const j of jails.values()) for (const s of j.sources) wanted.add(s);
      for (const [s, ctl] of following) {
        if (wanted.has(s)) continue;
        ctl.abort();
        following.delete(s);
        await s.stopped();
      }
      for (const s of wanted) {
        if (following.has(s)) continue;
        const ctl = new AbortController();
        following.set(s, ctl);
        // By source, not jail: a reload may put rebuilt jails behind a source that keeps running.
        await s.start((lines) => deliver(s, lines), ctl.signal, take && (() => take(s)));
      }
    },
    async stopAll() {
      for (const ctl of following.values()) ctl.abort();
      await Promise.all([...following.keys()].map((s) => s.stopped()));
      following.clear();
    },
  };
}
