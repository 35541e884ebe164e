import { describe, expect, it } from 'vitest';
import { newSourceCounters } from './source.js';
import { createSyslogFramer } from './syslog-framing.js';

const setup = (max = 100) => {
  const counters = newSourceCounters();
  const framer = createSyslogFramer(max, counters);
  const push = (s: string | Buffer): string[] => framer.push(typeof s === 'string' ? Buffer.from(s) : s).map((b) => b.toString());
  return { counters, push };
};

describe('syslog TCP framing', () => {
  it('splits newline-terminated messages, skipping the blank space between them', () => {
    const { push } = setup();
    expect(push('<13>one\n<13>two\r\n\n<13>three\n')).toEqual(['<13>one', '<13>two\r', '<13>three']);
  });

  it('reads octet-counted frames, which may hold newlines', () => {
    const { push } = setup();
    expect(push('7 <13>a\nb5 <13>c')).toEqual(['<13>a\nb', '<13>c']);
  });

  it('decides the framing per frame, so a sender may mix them', () => {
    const { push } = setup();
    expect(push('<13>line\n4 <1>x<13>next\n')).toEqual(['<13>line', '<1>x', '<13>next']);
  });

  it('finishes a frame split anywhere across chunks, the length included', () => {
    const { push } = setup();
    const whole = '11 <13>hello w<13>line\n';
    const out: string[] = [];
    for (const ch of whole) out.push(...push(ch));
    expect(out).toEqual(['<13>hello w', '<13>line']);
  });

  it('reads digits that are not a length (no space after them) as the start of a line', () => {
    const { push } = setup();
    expect(push('2026-11-25 text\n')).toEqual(['2026-11-25 text']);
  });

  it('cuts a message over the cap, counts it once and skips the rest of its frame as it arrives', () => {
    const { push, counters } = setup(10);
    expect(push(`500 ${'a'.repeat(200)}`)).toEqual([]);
    expect(push(`${'a'.repeat(300)}<13>ok\n`)).toEqual(['a'.repeat(10), '<13>ok']);
    expect(push(`${'b'.repeat(25)}\nshort\n`)).toEqual(['b'.repeat(10), 'short']);
    expect(counters.truncated).toBe(2);
  });

  it('keeps at most the cap per connection however long a line grows', () => {
    const { push, counters } = setup(10);
    for (let i = 0; i < 1000; i++) expect(push('x'.repeat(1000))).toEqual([]);
    expect(push('\n')).toEqual(['x'.repeat(10)]);
    expect(counters.truncated).toBe(1);
  });
});
