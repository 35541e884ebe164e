import { describe, expect, it } from 'vitest';
import { createLineSplitter } from './line-splitter.js';
import { newSourceCounters } from './source.js';

const setup = (maxLineLength = 100) => {
  const counters = newSourceCounters();
  const splitter = createLineSplitter(maxLineLength, counters);
  const push = (s: string | Buffer): string[] => splitter.push(typeof s === 'string' ? Buffer.from(s) : s);
  return { counters, splitter, push };
};

describe('line splitter', () => {
  it('returns each newline-terminated line of a chunk in order', () => {
    const { push, splitter } = setup();
    expect(push('one\ntwo\nthree\n')).toEqual(['one', 'two', 'three']);
    expect(splitter.pending).toBe(0);
  });

  it('keeps an unterminated tail until its newline arrives', () => {
    const { push, splitter } = setup();
    expect(push('one\ntw')).toEqual(['one']);
    expect(splitter.pending).toBe(2);
    expect(push('o and')).toEqual([]);
    expect(push(' more\n')).toEqual(['two and more']);
    expect(splitter.pending).toBe(0);
  });

  it('copies the carried tail so the caller may reuse its buffer', () => {
    const { splitter } = setup();
    const buf = Buffer.from('abc');
    splitter.push(buf);
    buf.write('XYZ');
    expect(splitter.push(Buffer.from('\n'))).toEqual(['abc']);
  });

  it('strips the CR of CRLF endings, even when CR and LF arrive in different chunks', () => {
    const { push } = setup();
    expect(push('dos\r\nline\r')).toEqual(['dos']);
    expect(push('\n')).toEqual(['line']);
  });

  it('skips empty lines', () => {
    const { push, counters } = setup();
    expect(push('\n\r\na\n\n')).toEqual(['a']);
    expect(counters).toMatchObject({ overlong: 0, invalid: 0 });
  });

  it('decodes a multi-byte character split across chunks', () => {
    const { push, counters } = setup();
    const bytes = Buffer.from('user é\n');
    expect(push(bytes.subarray(0, 6))).toEqual([]);
    expect(push(bytes.subarray(6))).toEqual(['user é']);
    expect(counters.invalid).toBe(0);
  });

  it('replaces invalid UTF-8 and counts the line as invalid while still handing it on', () => {
    const { push, counters } = setup();
    expect(push(Buffer.from([0x61, 0xff, 0x62, 0x0a]))).toEqual(['a\uFFFDb']);
    expect(counters.invalid).toBe(1);
  });

  it('drops and counts a line containing NUL as binary', () => {
    const { push, counters } = setup();
    expect(push('bin\u0000ary\nnext\n')).toEqual(['next']);
    expect(counters.binary).toBe(1);
    expect(counters.invalid).toBe(0);
  });

  it('skips a hole of NULs before a line, as a writer without O_APPEND leaves after copytruncate', () => {
    const { push, counters, splitter } = setup(10);
    expect(push(Buffer.alloc(50))).toEqual([]);
    expect(splitter.pending).toBe(0);
    expect(push(Buffer.concat([Buffer.alloc(30), Buffer.from('after\n\u0000\u0000x\n')]))).toEqual(['after', 'x']);
    expect(counters).toMatchObject({ binary: 2, overlong: 0 });
  });

  it('accepts a line of exactly the cap, with or without CR', () => {
    const { push, counters } = setup(5);
    expect(push('12345\n12345\r\n')).toEqual(['12345', '12345']);
    expect(counters.overlong).toBe(0);
  });

  it('drops and counts a complete line over the cap', () => {
    const { push, counters } = setup(5);
    expect(push('123456\nok\n')).toEqual(['ok']);
    expect(counters.overlong).toBe(1);
  });

  it('drops a line that goes over the cap by joining the carried part', () => {
    const { push, counters } = setup(5);
    expect(push('1234')).toEqual([]);
    expect(push('56\nok\n')).toEqual(['ok']);
    expect(counters.overlong).toBe(1);
  });

  it('discards a partial line that grows past the cap until the next newline, counting it once', () => {
    const { push, splitter, counters } = setup(5);
    expect(push('12345678')).toEqual([]);
    expect(counters.overlong).toBe(1);
    expect(push('9'.repeat(1000))).toEqual([]);
    expect(splitter.pending).toBe(1008);
    expect(push('end\nnext\n')).toEqual(['next']);
    expect(counters.overlong).toBe(1);
    expect(splitter.pending).toBe(0);
  });

  it('hands on the unterminated tail on flush, and only once', () => {
    const { push, splitter } = setup();
    push('last words');
    expect(splitter.flush()).toEqual(['last words']);
    expect(splitter.flush()).toEqual([]);
  });

  it('forgets the unterminated tail on reset', () => {
    const { push, splitter } = setup();
    push('half a li');
    splitter.reset();
    expect(splitter.pending).toBe(0);
    expect(push('new\n')).toEqual(['new']);
  });

  it('skips the rest of a line it started in the middle of, without counting it', () => {
    const { push, splitter, counters } = setup();
    splitter.skipToNextLine();
    expect(push('ragment\nwhole\n')).toEqual(['whole']);
    expect(counters.overlong).toBe(0);
  });
});
