import { describe, expect, it } from 'vitest';
import { seededRandom } from '../core/seeded.js';
import { programWord, programWordByRegex } from './program.js';

// programWord reads the common BSD head by hand and asks the regex for everything else: a word it gave that the
// regex would not (or another word) would send an attack's lines past the jail that should see them.
const HEADS = [
  'Nov 25 16:55:59 web1 sshd[12]: Failed password',
  'Nov  5 16:55:59 web1 sshd-session[12]: x',
  'Nov 5 16:55:59 web1 postfix/smtpd[3]: x',
  'Mar  1 00:00:00 h (sd-pam): x',
  'Nov 25 16:55:59.123 web1 sshd: x',
  'Nov 25 16:55:59 <auth.info> web1 sshd: x',
  'Nov 25 16:55:59 [pid 1] x',
  'Nov 25 16:55:59 imap-login: Info: x',
  'Nov 25 16:55:59 a\tb sshd: x',
  'Nov 25 16:55:59 a\u00a0b sshd: x',
  'Nov 25 16:55:59 hé sshd: x',
  `Nov 25 16:55:59 ${'h'.repeat(255)} sshd: x`,
  `Nov 25 16:55:59 ${'h'.repeat(256)} sshd: x`,
  'Nov 25 16:55:59 host',
  'Nov 25 16:55:59 host ',
  'Nov 25 16:55:59 host: sshd',
  'Nov 125 16:55:59 web1 sshd: x',
  'Nov 25 16:55:59  web1 sshd: x',
  'Wed 2026-11-25 16:55:59 CET web1 sshd[1]: x',
  '2026-11-25T16:55:59.1+00:00 web1 postfix/smtpd[3]: x',
  '2026-11-25 16:55:59 web1 sshd: x',
  '1764089759.123 web1 sshd: x',
  'Wed Nov 25 16:55:59 2026 [pid 1] x',
];
const ALPHABET = [' ', '  ', ':', '.', '<', '[', ']', '\t', '0', '9', 'a', 'Z', '-', '_', '/', '\u00a0', '\u2028', 'é', '\uFFFD', '\u0000', ''];

describe('programWord', () => {
  it('gives the regex answer on every listed head', () => {
    for (const line of HEADS) expect(programWord(line), JSON.stringify(line)).toBe(programWordByRegex(line));
  });

  it('gives the regex answer on 60,000 mutated heads', () => {
    const rnd = seededRandom(2026);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    let words = 0;
    for (let n = 0; n < 60_000; n++) {
      let line = pick(HEADS);
      for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) {
        // Mostly in the head, where the reader decides.
        const at = Math.floor(rnd() * Math.min(line.length + 1, rnd() < 0.8 ? 30 : 300));
        const cut = rnd() < 0.5 ? 1 : 0;
        line = line.slice(0, at) + pick(ALPHABET) + line.slice(at + cut);
      }
      const want = programWordByRegex(line);
      if (want !== undefined) words++;
      expect(programWord(line), JSON.stringify(line)).toBe(want);
    }
    // The mutations must leave many heads certain, or the reader's own answers were hardly compared.
    expect(words).toBeGreaterThan(5_000);
  });
});
