/**
 * Sets of UTF-16 code units as sorted, disjoint, non-adjacent inclusive ranges. The safety analysis only asks
 * "can these two quantifiers consume the same character?" and "is every character of A also in B?", so a
 * plain range list is enough; sets are built once per pattern at load, never on the match path.
 */
export type CharSet = readonly (readonly [number, number])[];

export const MAX_UNIT = 0xffff;

function normalise(ranges: (readonly [number, number])[]): CharSet {
  const sorted = ranges.filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export const charSet = (...ranges: (readonly [number, number])[]): CharSet => normalise([...ranges]);
export const single = (code: number): CharSet => [[code, code]];
export const union = (...sets: CharSet[]): CharSet => normalise(sets.flat());

export function complement(set: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_UNIT) out.push([next, MAX_UNIT]);
  return out;
}

export function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!;
    const [blo, bhi] = b[j]!;
    if (ahi < blo) i++;
    else if (bhi < alo) j++;
    else return true;
  }
  return false;
}

/** Every unit of `a` is in `b`. */
export function isSubset(a: CharSet, b: CharSet): boolean {
  return !intersects(a, complement(b));
}

export const isEmpty = (set: CharSet): boolean => set.length === 0;

/** The one unit a set holds, or `undefined` when it holds none or several. */
export const onlyUnit = (set: CharSet): number | undefined =>
  set.length === 1 && set[0]![0] === set[0]![1] ? set[0]![0] : undefined;

export const ANY: CharSet = [[0, MAX_UNIT]];
export const DIGIT = charSet([0x30, 0x39]);
export const WORD = charSet([0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]);
/** What JavaScript's `\s` matches: WhiteSpace and LineTerminator of ECMA-262. */
export const SPACE = charSet(
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029],
  [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
);
/** What `.` matches without the `s` flag: everything but the line terminators. */
export const DOT = complement(charSet([0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]));

/** The set with the other case of every ASCII letter added (Python's `(?i)` on the ASCII range). */
export function withBothCases(set: CharSet): CharSet {
  const extra: [number, number][] = [];
  for (const [lo, hi] of set) {
    const upperLo = Math.max(lo, 0x41), upperHi = Math.min(hi, 0x5a);
    if (upperLo <= upperHi) extra.push([upperLo + 32, upperHi + 32]);
    const lowerLo = Math.max(lo, 0x61), lowerHi = Math.min(hi, 0x7a);
    if (lowerLo <= lowerHi) extra.push([lowerLo - 32, lowerHi - 32]);
  }
  return union(set, extra);
}

/** The units of `a` that are not in `b`. */
export function subtract(a: CharSet, b: CharSet): CharSet {
  const notB = complement(b);
  const out: [number, number][] = [];
  for (const [lo, hi] of a) {
    for (const [blo, bhi] of notB) {
      const l = Math.max(lo, blo), h = Math.min(hi, bhi);
      if (l <= h) out.push([l, h]);
    }
  }
  return normalise(out);
}

export function intersect(a: CharSet, b: CharSet): CharSet {
  return subtract(a, complement(b));
}
