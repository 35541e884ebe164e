/**
 * Calls `f(i)` for every `i` below `n`, each on its own: should one call throw (a bug: a jail must not), the
 * others still run, and the first failure is thrown once they are through, for the source to report. One
 * jail's bug then costs the other jails of its source nothing.
 */
export function eachAlone(n: number, f: (i: number) => void): void {
  let failure: { readonly error: unknown } | undefined;
  for (let i = 0; i < n; i++) {
    try {
      f(i);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}
