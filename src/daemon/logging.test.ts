import { chmodSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogOutput } from './logging.js';

describe('the daemon log', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes at its level to stderr and the file, and reopens the file after it was moved', () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-log-'));
    const stderr: string[] = [];
    const file = join(dir, 'logs/dd.log');
    const out = createLogOutput({ level: 'info', file, syslog: false, facility: 'daemon', stderr: true }, { writeStderr: (l) => stderr.push(l) });
    out.logger.debug('hidden');
    out.logger.info('Ban 192.0.2.1', { jail: 'sshd' });
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatch(/ info  Ban 192\.0\.2\.1 jail=sshd\n$/);
    renameSync(file, `${file}.1`);
    out.reopen();
    out.logger.warn('after');
    expect(readFileSync(`${file}.1`, 'utf8')).toContain('Ban 192.0.2.1');
    expect(readFileSync(file, 'utf8')).toMatch(/warn  after\n$/);
    out.configure({ level: 'debug', syslog: false, facility: 'daemon', stderr: false });
    out.logger.debug('now shown');
    expect(stderr).toHaveLength(2); // the info and the warn; nothing since stderr was switched off
    expect(readFileSync(file, 'utf8')).not.toContain('now shown'); // no file any more either
    expect(out.logger.level).toBe('debug');
    out.close();
  });

  it('refuses a log file it cannot open and keeps the targets it had', () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-log-'));
    writeFileSync(join(dir, 'blocker'), '');
    const stderr: string[] = [];
    const out = createLogOutput({ level: 'info', syslog: false, facility: 'daemon', stderr: true }, { writeStderr: (l) => stderr.push(l) });
    expect(() => out.configure({ level: 'info', file: join(dir, 'blocker/dd.log'), syslog: false, facility: 'daemon', stderr: true })).toThrow();
    out.logger.info('still here');
    expect(stderr.join('')).toContain('still here');
  });

  it('sends each line to syslog through logger(1) with the priority of its level', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-log-'));
    // A stand-in for logger(1): appends its argv and every line it reads to a file.
    const fake = join(dir, 'logger.cjs');
    writeFileSync(fake, `#!${process.execPath}\nconst fs=require('fs');const out=${JSON.stringify(join(dir, 'syslog'))};` +
      `process.stdin.on('data',(b)=>fs.appendFileSync(out, JSON.stringify(process.argv.slice(2))+' '+b));`);
    chmodSync(fake, 0o755);
    const out = createLogOutput({ level: 'info', syslog: true, facility: 'auth', stderr: false }, { loggerBinary: fake });
    out.logger.error('Cannot ban');
    out.logger.info('Ban 192.0.2.1');
    out.logger.debug('not at this level');
    const end = Date.now() + 5000;
    while (Date.now() < end && !(existsSync(join(dir, 'syslog')) && readFileSync(join(dir, 'syslog'), 'utf8').split('\n').length > 2)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const got = readFileSync(join(dir, 'syslog'), 'utf8');
    expect(got).toContain('["-t","dictdefence","-p","auth.err"] Cannot ban\n');
    expect(got).toContain('["-t","dictdefence","-p","auth.info"] Ban 192.0.2.1\n');
    expect(got).not.toContain('not at this level');
    out.close();
  });
});
