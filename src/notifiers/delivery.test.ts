import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../core/log.js';
import { createDelivery, type DeliveryOptions } from './delivery.js';

const HOUR = 3_600_000;
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function setUp(more: Partial<DeliveryOptions<number>> = {}) {
  const clock = new ManualClock(1_000_000);
  const sent: { at: number; events: number[]; dropped: number }[] = [];
  let failing = 0;
  const d = createDelivery<number>({
    name: 'n', clock, log: silentLogger, batchMs: 60_000, maxPerHour: 100, maxQueue: 100, retries: 2, retryDelayMs: 1000,
    send: async (events, dropped) => {
      if (failing > 0) { failing--; throw new Error('down'); }
      sent.push({ at: clock.now(), events: [...events], dropped });
    },
    ...more,
  });
  const advance = async (ms: number): Promise<void> => { clock.advance(ms); await flush(); await flush(); };
  return { clock, d, sent, advance, fail: (n: number) => { failing = n; } };
}

describe('the delivery queue behind the notifiers', () => {
  it('sends the first event at once and gathers the following ones into one delivery per interval', async () => {
    const { d, sent, advance } = setUp();
    d.push(1);
    await advance(0);
    expect(sent.map((s) => s.events)).toEqual([[1]]);
    for (const e of [2, 3, 4]) d.push(e);
    await advance(59_000);
    expect(sent).toHaveLength(1);
    await advance(1000);
    expect(sent.map((s) => s.events)).toEqual([[1], [2, 3, 4]]);
  });

  it('waits past the hourly limit until the oldest delivery leaves the hour', async () => {
    const { d, sent, advance } = setUp({ batchMs: 0, maxPerHour: 2 });
    for (const e of [1, 2, 3]) d.push(e);
    await advance(0);
    await advance(0);
    expect(sent.map((s) => s.events)).toEqual([[1], [2]]);
    await advance(HOUR - 1);
    expect(sent).toHaveLength(2);
    await advance(1);
    expect(sent.map((s) => s.events)).toEqual([[1], [2], [3]]);
  });

  it('retries with a doubling delay and drops after the last retry, telling the next delivery', async () => {
    const { d, sent, advance, fail } = setUp({ batchMs: 0 });
    fail(3);
    d.push(1);
    await advance(0);
    await advance(1000);
    await advance(2000);
    expect(d.counters).toEqual({ sent: 0, failed: 3, dropped: 1 });
    d.push(2);
    await advance(0);
    expect(sent).toEqual([{ at: expect.any(Number), events: [2], dropped: 1 }]);
  });

  it('drops and counts events beyond the queue limit instead of growing', async () => {
    const { d, sent, advance } = setUp({ maxQueue: 3 });
    d.push(0);
    await advance(0);
    for (let e = 1; e <= 5; e++) d.push(e);
    expect(d.counters.dropped).toBe(2);
    await advance(60_000);
    expect(sent[1]).toEqual({ at: expect.any(Number), events: [1, 2, 3], dropped: 2 });
  });

  it('sends what waits when closed, without waiting for the interval', async () => {
    const { d, sent, advance } = setUp();
    d.push(1);
    await advance(0);
    d.push(2);
    await d.close();
    expect(sent.map((s) => s.events)).toEqual([[1], [2]]);
    d.push(3);
    expect(d.counters.sent).toBe(2);
  });
});
