import { describe, expect, it } from 'vitest';
import { grouped } from './test-report.js';

describe('grouped', () => {
  it.each([0, 7, 999, 1000, 12_345, 999_999, 1_000_000, 1_424_530, 123_456_789_012])('writes %i as toLocaleString("en") does', (n) => {
    expect(grouped(n)).toBe(n.toLocaleString('en'));
  });
});
