import type { LogLine } from '../core/types.js';
import type { Source } from '../sources/source.js';
import type { Jail } from './jail.js';

/**
 * Which sources are being followed, each with its own abort signal, so that a reload can stop the sources
 * no jail uses any more and start new ones while the others keep reading without a pause.
 */
export interface SourceFollower {
  /** Starts every source of `jails` not followed yet; stops (and awaits) those no jail uses. */
  follow(jails: ReadonlyMap<string, Jail>, deliver: (jail: string, lines: LogLine[]) => void): Promise<void>;
  stopAll(): Promise<void>;
}

export function createSourceFollower(): SourceFollower {
  const following = new Map<Source, AbortController>();
  return {
    async follow(jails, deliver) {
      const wanted = new Map<Source, string>();
      for (const j of jails.values()) for (const s of j.sources) wanted.set(s, j.name);
      for (const [s, ctl] of following) {
        if (wanted.has(s)) continue;
        ctl.abort();
        following.delete(s);
        await s.stopped();
      }
      for (const [s, jail] of wanted) {
        if (following.has(s)) continue;
        const ctl = new AbortController();
        following.set(s, ctl);
        // By jail name, not object: a reload may put a rebuilt jail behind a source that keeps running.
        await s.start((lines) => deliver(jail, lines), ctl.signal);
      }
    },
    async stopAll() {
      for (const ctl of following.values()) ctl.abort();
      await Promise.all([...following.keys()].map((s) => s.stopped()));
      following.clear();
    },
  };
}
