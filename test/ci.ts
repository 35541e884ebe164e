/**
 * Test helpers shared by every stage. A test that needs an absent component fails under CI=true and may
 * skip outside CI only with a printed reason.
 */
export const inCI = (): boolean => process.env.CI === 'true' || process.env.CI === '1';

/** Returns true when the test should skip (outside CI, reason printed); throws under CI. */
export function missing(component: string, why: string): boolean {
  if (inCI()) throw new Error(`${component} is required under CI=true but is unavailable: ${why}`);
  process.stderr.write(`SKIP: ${component} unavailable (${why}); this test will fail under CI=true\n`);
  return true;
}
