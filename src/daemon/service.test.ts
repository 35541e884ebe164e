import { describe, expect, it } from 'vitest';
import { parentWatchMs } from './service.js';

describe('the foreground daemon\'s watch on its parent', () => {
  it('looks once a second at a parent that may die, and not at all at init (PID 1), which outlives it', () => {
    expect(parentWatchMs(4242)).toBe(1000);
    expect(parentWatchMs(2)).toBe(1000);
    expect(parentWatchMs(1)).toBeUndefined();
    // No parent at all (the first process of a PID namespace).
    expect(parentWatchMs(0)).toBeUndefined();
  });
});
