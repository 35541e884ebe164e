import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1m500ms', 60_500],
    ['1w2d', 777_600_000],
    ['1.5h', 5_400_000],
    [' 10m ', 600_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['a bare number', '10'],
    ['an unknown unit', '1x'],
    ['a negative duration', '-1h'],
    ['empty text', ''],
    ['a unit without a number', 'h'],
    ['a zero duration', '0s'],
    ['a space between number and unit', '10 m'],
    ['an upper-case unit', '1H'],
    ['a trailing bare number', '1h30'],
    ['fullwidth digits', '１h'],
  ])('rejects %s (%j)', (_why, text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [604_800_000, '1w'],
    [694_800_000, '1w1d'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes what parseDuration reads back for whole units', () => {
    for (const text of ['90s', '10m', '1h', '1w', '2d3h']) {
      expect(parseDuration(formatDuration(parseDuration(text) ?? 0))).toBe(parseDuration(text));
    }
  });
});
