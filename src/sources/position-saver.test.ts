import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { MemoryPositions } from '../../test/sources.js';
import { createPositionSaver } from './position-saver.js';
import type { Position } from './source.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

class FlakyPositions extends MemoryPositions {
  failNext = 0;
  override async setPosition(key: string, position: Position): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk full');
    }
    await super.setPosition(key, position);
  }
}

const setup = () => {
  const clock = new ManualClock(1000);
  const positions = new FlakyPositions();
  const errors: unknown[] = [];
  const saver = createPositionSaver('k', { clock, positions, everyMs: 250, onError: (e) => errors.push(e) });
  return { clock, positions, errors, saver };
};

describe('position saver', () => {
  it('saves the first position at once and later ones at most once per interval, newest first', async () => {
    const { clock, positions, saver } = setup();
    saver.note({ offset: 1 });
    clock.advance(0);
    await flush();
    expect(positions.saves).toBe(1);
    saver.note({ offset: 2 });
    saver.note({ offset: 3 });
    clock.advance(100);
    await flush();
    expect(positions.saves).toBe(1);
    clock.advance(150);
    await flush();
    expect(positions.saves).toBe(2);
    expect(positions.saved.get('k')).toEqual({ offset: 3 });
  });

  it('does not save a position equal to the last one noted', async () => {
    const { clock, positions, saver } = setup();
    saver.note({ ino: '7', offset: 1 });
    clock.advance(0);
    await flush();
    saver.note({ ino: '7', offset: 1 });
    clock.advance(1000);
    await flush();
    expect(positions.saves).toBe(1);
  });

  it('reports a failed save and retries it on the next interval', async () => {
    const { clock, positions, errors, saver } = setup();
    positions.failNext = 1;
    saver.note({ offset: 5 });
    clock.advance(0);
    await flush();
    expect(errors).toHaveLength(1);
    expect(positions.saved.get('k')).toBeUndefined();
    clock.advance(250);
    await flush();
    expect(positions.saved.get('k')).toEqual({ offset: 5 });
  });

  it('saves the newest position on close without waiting for the interval', async () => {
    const { clock, positions, saver } = setup();
    saver.note({ offset: 1 });
    clock.advance(0);
    await flush();
    saver.note({ offset: 9 });
    await saver.close();
    expect(positions.saved.get('k')).toEqual({ offset: 9 });
    expect(clock.pendingTimers()).toBe(0);
  });
});
