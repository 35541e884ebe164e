import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/seeded.js';
import { programWordStart } from './program.js';
import { programWordStartBytes } from './program-bytes.js';

// The bytes reader may say "not sure" (-1) where the regex is sure, never a place the regex would not name.
const TIMES = ['Nov 25 16:55:59', 'Nov  5 16:55:59', 'Nov 5 16:55:59', 'Nov 25 16:55:59.123456', 'Nov 25 16:55:59.1234567890',
  'Nov 25 16:55:59.', 'Nov 25 16:55:59 <auth.info>', '2026-11-25T16:55:59.123456+00:00', '2026-11-25T16:55:59+0000',
  '2026-11-25T16:55:59+00', '2026-11-25T16:55:59+0', '2026-11-25T16:55:59Z', '2026-11-25T16:55:59,5Z', '2026-11-25 16:55:59',
  '2026-11-25t16:55:59', 'Wed 2026-11-25 16:55:59 UTC', '1764089759.123456', '1764089759', 'Nov 25 16:55', 'nov 25 16:55:59',
  'NOV 25 16:55:59', 'Nov 125 16:55:59', 'Nov 25 6:55:59', '2026-1-25T16:55:59', ''];
const HOSTS = ['web1', '<auth.info>', '<x', '[pid', 'a[b', 'imap-login:', 'auth:', 'a:b', ':', 'h'.repeat(255), 'h'.repeat(256), '::1',
  '203.0.113.9', 'a\tb', '-', '\u007f', ''];
const PROGRAMS = ['sshd[1]: x', 'sshd: x', 'postfix/smtpd[3]: y', '(sd-pam): z', 'CRON[2]: a', '', ' ', 'x'];
const JUNK = [' ', '  ', '\t', ':', '[', '<', '.', ',', '-', 'T', 'Z', '+', '0', '9', 'a', '\r', ''];

function lines(rnd: () => number): string[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const out: string[] = [];
  for (let i = 0; i < 50_000; i++) {
    let line = `${pick(TIMES)} ${pick(HOSTS)} ${pick(PROGRAMS)}`;
    // Edits inside the head, where the two readers could part.
    for (let k = Math.floor(rnd() * 3); k > 0; k--) {
      const at = Math.floor(rnd() * Math.min(line.length, 40));
      line = line.slice(0, at) + pick(JUNK) + line.slice(at + Math.floor(rnd() * 2));
    }
    out.push(line);
  }
  return out;
}

describe('programWordStartBytes', () => {
  it('names the place programWordStart names, or is not sure, on generated and edited heads', () => {
    let sure = 0, both = 0;
    for (const line of lines(seededRandom(11))) {
      // Every line set in a buffer with other bytes around it: the reader must stay inside its line.
      const b = Buffer.from(`xx ${line}\n1 h sshd: x`, 'latin1');
      const s = 3, e = 3 + line.length;
      const bytes = programWordStartBytes(b, s, e);
      const text = programWordStart(line);
      if (bytes >= 0) {
        sure++;
        expect(bytes - s, JSON.stringify(line)).toBe(text);
      }
      if (text >= 0) both++;
    }
    // Sure of most heads the regex is sure of: BSD and ISO heads are most of the generated ones.
    expect(sure).toBeGreaterThan(3_000);
    expect(sure).toBeGreaterThan(both * 0.6);
  });

  it('is sure of the common heads and of none the router reads otherwise', () => {
    const at = (line: string): number => programWordStartBytes(Buffer.from(line, 'latin1'), 0, line.length);
    expect(at('Nov 25 16:55:59 web1 sshd[1]: x')).toBe(21);
    expect(at('2026-11-25T16:55:59.123456+00:00 web1 sshd[1]: x')).toBe(38);
    for (const line of ['2026-11-25 16:55:59 web1 sshd: x', 'Nov 25 16:55:59 [pid web1 sshd: x', 'Nov 25 16:55:59 imap-login: x',
      '2026-11-25T16:55:59Z <x web1 sshd: x', 'Nov 25 16:55:59 <auth.info> web1 sshd: x', '1764089759 web1 sshd: x']) {
      expect(at(line), line).toBe(-1);
    }
  });
});
