import { describe, expect, it } from 'vitest';
import { newSourceCounters } from './source.js';
import { syslogLine } from './syslog-message.js';
import { bsdTime } from './traditional-line.js';

const NOW = new Date(2026, 10, 25, 17, 0, 0).getTime();
const line = (message: string | Buffer, counters = newSourceCounters()): string | undefined =>
  syslogLine(typeof message === 'string' ? Buffer.from(message) : message, '192.0.2.9', NOW, counters);

describe('RFC 5424 messages', () => {
  it('become the traditional file line, the time in local time', () => {
    const t = Date.UTC(2026, 10, 25, 15, 55, 59);
    expect(line('<38>1 2026-11-25T16:55:59.123456+01:00 web1 sshd 4242 - - Failed password for root from 203.0.113.5 port 22 ssh2'))
      .toBe(`${bsdTime(t)} web1 sshd[4242]: Failed password for root from 203.0.113.5 port 22 ssh2`);
  });

  it('skip structured data, including escaped brackets and quotes inside values, and a BOM before the message', () => {
    expect(line('<13>1 2026-11-25T16:55:59Z host app - ID47 [a@1 x="y\\]z" q="\\"]"][b@2 k="v"] \uFEFFhello'))
      .toBe(`${bsdTime(Date.UTC(2026, 10, 25, 16, 55, 59))} host app: hello`);
  });

  it('take the sender for a nil host, the receiving time for a nil time, and no tag for a nil program', () => {
    expect(line('<13>1 - - - - - - just text')).toBe(`${bsdTime(NOW)} 192.0.2.9 just text`);
  });

  it('keep an empty message after a nil structured data', () => {
    expect(line('<13>1 2026-11-25T16:55:59Z h sshd 1 - -')).toBe(`${bsdTime(Date.UTC(2026, 10, 25, 16, 55, 59))} h sshd[1]: `);
  });
});

describe('RFC 3164 messages', () => {
  it('keep the head and everything after the host as the sender wrote them', () => {
    expect(line('<38>Nov 25 16:55:59 web1 sshd[4242]: Failed password for root from 203.0.113.5 port 22 ssh2'))
      .toBe('Nov 25 16:55:59 web1 sshd[4242]: Failed password for root from 203.0.113.5 port 22 ssh2');
  });

  it('pad a single-digit day with a space, as syslog files do', () => {
    expect(line('<13>Nov 5 06:05:04 h x: y')).toBe('Nov  5 06:05:04 h x: y');
  });

  it('take the sender as host when the message has none (the tag follows the time)', () => {
    expect(line('<13>Nov 25 16:55:59 sshd[1]: msg')).toBe('Nov 25 16:55:59 192.0.2.9 sshd[1]: msg');
    expect(line('<13>Nov 25 16:55:59 cron: msg')).toBe('Nov 25 16:55:59 192.0.2.9 cron: msg');
  });

  it('accept an RFC 3339 time in the 3164 position (rsyslog forwarding)', () => {
    expect(line('<13>2026-11-25T16:55:59.5Z relay sshd[2]: m')).toBe(`${bsdTime(Date.UTC(2026, 10, 25, 16, 55, 59))} relay sshd[2]: m`);
  });

  it('give a message without time (or without PRI) the receiving time and the sender as host', () => {
    expect(line('<13>sshd[3]: no time')).toBe(`${bsdTime(NOW)} 192.0.2.9 sshd[3]: no time`);
    expect(line('no pri at all')).toBe(`${bsdTime(NOW)} 192.0.2.9 no pri at all`);
  });
});

describe('hostile messages', () => {
  it('escape control characters, so a newline cannot forge a second line', () => {
    expect(line('<13>Nov 25 16:55:59 h app: a\nNov 25 16:55:59 h sshd[1]: Failed password for root from 198.51.100.1 port 1 ssh2'))
      .toBe('Nov 25 16:55:59 h app: a#012Nov 25 16:55:59 h sshd[1]: Failed password for root from 198.51.100.1 port 1 ssh2');
    expect(line('<13>Nov 25 16:55:59 h app: tab\there')).toBe('Nov 25 16:55:59 h app: tab#011here');
  });

  it('drop trailing CR, LF and NUL', () => {
    expect(line('<13>Nov 25 16:55:59 h app: x\r\n\u0000')).toBe('Nov 25 16:55:59 h app: x');
  });

  it('drop and count a binary message, and an empty one silently', () => {
    const counters = newSourceCounters();
    expect(line(Buffer.from([0x3c, 0x31, 0x3e, 0x00, 0x01, 0x02]), counters)).toBeUndefined();
    expect(line('\n', counters)).toBeUndefined();
    expect(counters.binary).toBe(1);
  });

  it('replace and count invalid UTF-8', () => {
    const counters = newSourceCounters();
    expect(line(Buffer.concat([Buffer.from('<13>Nov 25 16:55:59 h sshd[1]: Invalid user m'), Buffer.from([0xfc]), Buffer.from('ller')]), counters))
      .toBe('Nov 25 16:55:59 h sshd[1]: Invalid user m\uFFFDller');
    expect(counters.invalid).toBe(1);
  });

  it('read a PRI over 191 or a broken 5424 header as plain text', () => {
    expect(line('<999>Nov 25 16:55:59 h a: b')).toBe(`${bsdTime(NOW)} 192.0.2.9 <999>Nov 25 16:55:59 h a: b`);
    expect(line('<13>1 2026-11-25T16:55:59Z h a 1 - [unclosed')).toBe(`${bsdTime(NOW)} 192.0.2.9 1 2026-11-25T16:55:59Z h a 1 - [unclosed`);
  });
});
