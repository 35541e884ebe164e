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

/**
 * The splitter against a model of what it must return, on random logs cut into random chunks: whole chunks of
 * ASCII go through its bulk path, others line by line, carried lines across chunk borders, and a sink takes
 * some lines as bytes. Whatever the path, the lines, their places and the counters must be the model's.
 */
describe('line splitter on random input and random chunk borders', () => {
  let seed = 99;
  const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
  const CAP = 40;
  const kinds: (() => Buffer)[] = [
    () => Buffer.from(`Tline ${rnd(1e6)} from 192.0.2.${rnd(256)}`),
    () => Buffer.from(`other ${'x'.repeat(rnd(30))}`),
    () => Buffer.from(`crlf ${rnd(100)}\r`),
    () => Buffer.alloc(0),
    () => Buffer.from('\r'),
    () => Buffer.from(`long ${'y'.repeat(CAP + rnd(60))}`),
    () => Buffer.from(`${'z'.repeat(CAP - 1)}\r`), // exactly the cap once the CR goes
    () => Buffer.from(`T${'w'.repeat(CAP - 1)}`),
    () => Buffer.from(`Tcaf\u00e9 ${rnd(10)}`),
    () => Buffer.from([0x54, 0x62, 0x61, 0x64, 0xff, 0x20, 0x31]),
    () => Buffer.from([0x54, 0x6e, 0x75, 0x00, 0x6c]),
  ];

  /** What the splitter must make of `input`: the places of all terminated lines, and the counters. */
  function model(input: Buffer): { places: string[]; overlong: number; binary: number; invalid: number } {
    const places: string[] = [];
    let overlong = 0, binary = 0, invalid = 0;
    let start = 0;
    for (let nl = input.indexOf(10); nl !== -1; nl = input.indexOf(10, start)) {
      let line = input.subarray(start, nl);
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, -1);
      start = nl + 1;
      if (line.length === 0) places.push('');
      else if (line.length > CAP) { overlong++; places.push(''); }
      else if (line.includes(0)) { binary++; places.push(''); }
      else {
        const text = line.toString('utf8');
        if (text.includes('\uFFFD')) invalid++;
        places.push(text);
      }
    }
    return { places, overlong, binary, invalid };
  }

  it.each([false, true])('returns what the model says, with a sink taking lines: %s', (withSink) => {
    for (let round = 0; round < 300; round++) {
      const input = Buffer.concat(Array.from({ length: 1 + rnd(40) }, () => Buffer.concat([kinds[rnd(kinds.length)]!(), Buffer.from('\n')])));
      const counters = newSourceCounters();
      const splitter = createLineSplitter(CAP, counters, { keepPlaces: true });
      const places: string[] = [];
      for (let at = 0; at < input.length;) {
        const size = 1 + rnd(rnd(2) ? 300 : 20);
        // Each chunk in a buffer of its own with other bytes around it, as a reused read buffer would be.
        const chunk = Buffer.concat([Buffer.from('T\n'), input.subarray(at, at + size), Buffer.from('\nTx')]).subarray(2, 2 + Math.min(size, input.length - at));
        const taken = new Map<number, string>();
        const sink = withSink ? {
          take: (b: Buffer, s: number, e: number, index: number): boolean => {
            if (b[s] !== 0x54) return false;
            taken.set(index, b.toString('latin1', s, e));
            return true;
          },
        } : undefined;
        const out = splitter.push(chunk, sink);
        // Every place, in order: a line returned, taken, or dropped ('' as in the model).
        const byPlace: string[] = Array.from({ length: splitter.placed }, (_, i) => taken.get(i) ?? '');
        out.forEach((text, i) => {
          const place = splitter.places[i]!;
          expect(taken.has(place)).toBe(false);
          byPlace[place] = text;
        });
        places.push(...byPlace);
        at += size;
      }
      const want = model(input);
      expect(places).toEqual(want.places);
      expect({ overlong: counters.overlong, binary: counters.binary, invalid: counters.invalid })
        .toEqual({ overlong: want.overlong, binary: want.binary, invalid: want.invalid });
    }
  });

  it('hands every line to a sink that takes text too, taken or not, in the order of the input', () => {
    let offered = 0;
    for (let round = 0; round < 300; round++) {
      const input = Buffer.concat(Array.from({ length: 1 + rnd(40) }, () => Buffer.concat([kinds[rnd(kinds.length)]!(), Buffer.from('\n')])));
      const splitter = createLineSplitter(CAP, newSourceCounters());
      const got: string[] = [];
      for (let at = 0; at < input.length;) {
        const size = 1 + rnd(rnd(2) ? 300 : 20);
        const out = splitter.push(input.subarray(at, at + size), {
          take: (b, s, e) => {
            offered++;
            if (b[s] !== 0x54) return false;
            got.push(`bytes:${b.toString('latin1', s, e)}`);
            return true;
          },
          text: (line) => { got.push(`text:${line}`); },
        });
        expect(out).toEqual([]);
        at += size;
      }
      // Every line the model delivers, in order; those starting with T as bytes, unless not ASCII.
      const want = model(input).places.filter((p) => p !== '')
        .map((p) => (p.startsWith('T') && /^[\x01-\x7f]*$/.test(p) ? `bytes:${p}` : `text:${p}`));
      expect(got).toEqual(want);
    }
    expect(offered).toBeGreaterThan(1000);
  });
});
