import type { LogLine } from '../core/types.js';
import { programWordStartBytes } from '../filters/program-bytes.js';
import type { TakeBytes } from '../sources/source.js';
import { eachAlone } from './each-alone.js';
import type { Jail } from './jail.js';
import { anchorOf, findLiteral } from './literal-search.js';
import type { Routes } from './router.js';

/** The bytes entry of a router whose source several jails read: `end` is always there. */
export type BytesRouter = TakeBytes & { readonly end: () => void };

const NONE: readonly LogLine[] = [];
/**
 * How much of a chunk is decoded at a time (more where a line is longer). A backlog's 1 MiB read
 * (sources/file-reader.ts) decoded whole is a string of the large-object space, on fresh pages each time:
 * decoding the bench's mixed corpus cost 97 ms of a profile of its 17 jails, with nothing after the routing;
 * in 64 KiB windows that run took 514 ms instead of 556, the whole run 1,554 instead of 1,590 (medians of 7
 * and 9, interleaved). 32 and 96 KiB: within noise of 64.
 */
export const DECODE_WINDOW = 64 * 1024;
/** The taker's lines held back at most (a backlog's 1 MiB read holds ~8,000–10,000 lines). */
const HELD_FOR_TAKER = 4096;

/**
 * Where several jails read one source and one of them takes lines as bytes (the sshd jail on auth.log, with
 * pam-generic or others beside it): each line's head is read from its bytes (filters/program-bytes.ts), and
 * the line goes to the jails the text router would give it to (router.ts), with no string made of it unless
 * one of them needs one:
 * - the jail that takes bytes gets the line as bytes, held back with the chunk's other lines for it and
 *   handed on together (below), before the next batch of text and at `end` at the latest;
 * - a jail whose filter names no program gets it only if it holds one of the filter's `prefilter` texts
 *   (searched in the decoded window, once per text and occurrence, not once per line), or always if the filter
 *   has none;
 * - every other jail gets the line as text, held with the chunk's other lines until `end` (or the next batch
 *   of text), when each jail gets its share at once and counts the whole chunk as delivered.
 * A line whose head the bytes do not make certain is read as text, as the text router reads it. Where every
 * other jail names no program and has prefilter texts, a line holding none of them goes to the taker unread.
 *
 * Measured (bench/library-run.mjs, medians of 9 interleaved): the sshd and pam-generic jails on the bench's
 * 1,000,000-line sshd corpus 825 → 683 ms (the sshd jail alone 578 ms); all 17 jails on the mixed corpus
 * 1.44 → 1.38 s. Each jail's share handed on every decoded window rather than at `end`, so that its lines die
 * young: 1.46 → 1.62 s, worse (each jail's code then runs on tens of lines at a time, not hundreds).
 */
export function createBytesRouter(jails: readonly Jail[], routes: Routes): BytesRouter | undefined {
  const taker = jails.findIndex((j) => j.takeBytes !== undefined);
  const takeBytes = jails[taker]?.takeBytes;
  if (takeBytes === undefined) return undefined;
  const literals = jails.map((j) => (j.filter.programs === undefined ? j.filter.prefilter : undefined));
  const anchors = literals.map((list) => (list ?? []).map(anchorOf));
  // Per jail and text, where the text next occurs in the decoded window at or after the line last asked about:
  // -1 nowhere, -2 not searched yet. Valid while the lines come in order from one window, which `end` or the
  // next window closes.
  const next = literals.map((list) => (list ?? []).map(() => -2));
  let scanned: Uint8Array | undefined;
  /**
   * `scanned[base, top)` decoded, once: a line's text is a slice of it and a text is searched in it. The lines
   * are ASCII, so a byte's place is its character's. A string made per line (a call into C++ and a copy
   * each) cost ~8 % of the library run: all 17 jails on the mixed corpus 2,047 → 1,882 ms (medians of 7,
   * interleaved). A slice keeps the window's string alive as long as it lives; a jail's line lives until its
   * filter has answered, and what a jail keeps of a line (recent-lines.ts) is a copy.
   */
  let chunk = '';
  let base = 0, top = 0;
  let shares: LogLine[][] = jails.map(() => []);
  let held = 0;
  let given = 0;

  /*
   * The taker's lines, held back too and handed on together (at `end`, before the next batch of text, or
   * when HELD_FOR_TAKER of them wait): the router's loop and the taker's reader then each run over many lines
   * in a row instead of taking turns line by line. All 17 jails on the bench's mixed corpus 1.45 → 1.40 s
   * (medians of 15, interleaved; 1.45 → 1.37 s in a first run of 9); the lines and their answers are the same.
   */
  const waiting = new Uint32Array(2 * HELD_FOR_TAKER);
  let waitingCount = 0;
  let waitingIn: Buffer | undefined;
  let waitingSource = '', waitingAt = 0;
  /**
   * Hands on the held lines, each on its own: should the taker fail on one (a bug: `TakeBytes` must not
   * throw), that line alone is lost, as when each line went at once, and the first failure is thrown once the
   * others are through, for the source to report. Its own loop rather than `eachAlone` (each-alone.ts), which
   * would call a closure per line: the 17 jails 1.37 → 1.43 s that way (medians of 15, interleaved).
   */
  const handOnTaker = (): void => {
    const b = waitingIn!, n = waitingCount;
    waitingCount = 0;
    waitingIn = undefined;
    let failure: { readonly error: unknown } | undefined;
    for (let i = 0; i < n; i += 2) {
      try {
        takeBytes(b, waiting[i]!, waiting[i + 1]!, waitingSource, waitingAt);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  };
  const hold = (b: Buffer, start: number, end: number, source: string, receivedAt: number): void => {
    waiting[waitingCount++] = start;
    waiting[waitingCount++] = end;
    waitingIn = b;
    waitingSource = source;
    waitingAt = receivedAt;
  };
  const give = (b: Buffer, start: number, end: number, source: string, receivedAt: number): void => {
    given++;
    if (waitingCount === 0 || (b === waitingIn && source === waitingSource && receivedAt === waitingAt && waitingCount < waiting.length)) {
      hold(b, start, end, source, receivedAt);
      return;
    }
    try {
      handOnTaker();
    } finally {
      hold(b, start, end, source, receivedAt);
    }
  };

  /**
   * Whether the line `chunk[s, e)` (places in the decoded window) holds one of jail `j`'s prefilter texts (or
   * the jail has none to go by).
   */
  const holds = (j: number, s: number, e: number): boolean => {
    const list = literals[j];
    if (list === undefined) return true;
    const at = next[j]!, anchor = anchors[j]!;
    for (let k = 0; k < list.length; k++) {
      let x = at[k]!;
      if (x !== -1 && x < s) {
        x = findLiteral(chunk, list[k]!, anchor[k]!, s);
        at[k] = x;
      }
      // An occurrence that starts in the line and runs past its end is taken as in it: the filter then decides.
      if (x !== -1 && x < e) return true;
    }
    return false;
  };

  // Where every other jail names no program and has prefilter texts (pam-generic beside sshd on auth.log, the
  // commonest pair), a line that holds none of them goes to the taker alone, its head unread: reading it would
  // only tell whether the taker gets it, and a taker given another program's line answers as its filter does
  // (no match; a single jail gets every line of its source). The pair on the bench's sshd corpus: 1,698 →
  // 1,595 ms, the sshd jail alone 1,496 (medians of 7, interleaved).
  const byLiterals = jails.every((_, j) => j === taker || literals[j] !== undefined);
  const holdsAny = (s: number, e: number): boolean => { // places in the window, as `holds`
    for (let j = 0; j < jails.length; j++) if (j !== taker && holds(j, s, e)) return true;
    return false;
  };

  const take = (b: Buffer, start: number, end: number, source: string, receivedAt: number): void => {
    held++;
    if (b !== scanned || end > top) {
      scanned = b;
      base = start;
      top = Math.min(b.length, start + Math.max(DECODE_WINDOW, end - start));
      chunk = b.toString('latin1', base, top);
      for (const at of next) at.fill(-2);
    }
    // The line's places in the decoded window.
    const s = start - base, e = end - base;
    if (byLiterals && !holdsAny(s, e)) {
      give(b, start, end, source, receivedAt);
      return;
    }
    const at = programWordStartBytes(b, start, end);
    let text: string | undefined;
    let to: readonly number[];
    if (at >= 0) {
      to = routes.namedBytes(b, at, end);
    } else {
      text = chunk.slice(s, e);
      to = routes.ofText(text);
    }
    let line: LogLine | undefined;
    for (let k = 0; k < to.length; k++) {
      const j = to[k]!;
      if (j === taker) {
        give(b, start, end, source, receivedAt);
      } else if (holds(j, s, e)) {
        line ??= { text: text ?? chunk.slice(s, e), source, receivedAt };
        shares[j]!.push(line);
      }
    }
  };

  /** The held text lines, each jail's share on its own: one jail's failure (a bug) costs the others nothing. */
  const handOnShares = (): void => {
    const out = shares, n = held, bytes = given;
    shares = jails.map(() => []);
    held = 0;
    given = 0;
    eachAlone(jails.length, (j) => {
      if (j !== taker) jails[j]!.handle(out[j]!, n);
      else if (n > bytes) jails[j]!.handle(NONE, n - bytes);
    });
  };

  const end = (): void => {
    try {
      if (waitingCount > 0) handOnTaker();
    } finally {
      scanned = undefined;
      chunk = '';
      base = top = 0;
      if (held > 0) handOnShares();
    }
  };

  return Object.assign(take, { end });
}
