import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { socketFromConfig } from './client.js';
import { table } from './table.js';

describe('finding the control socket of a config', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads control.socket relative to the file, lets a drop-in override it, and survives a YAML error elsewhere', () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-client-'));
    const main = join(dir, 'dd.yaml');
    writeFileSync(main, 'control: { socket: run/dd.sock }\njails:\n  sshd: [\n');
    expect(socketFromConfig(main)).toEqual({ ok: true, path: join(dir, 'run/dd.sock') });
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d/10-socket.yaml'), 'control:\n  socket: /run/other.sock\n');
    expect(socketFromConfig(main)).toEqual({ ok: true, path: '/run/other.sock' });
  });

  it('falls back to the default socket when the config names none, and says when the file cannot be read', () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-client-'));
    writeFileSync(join(dir, 'dd.yaml'), 'jails: {}\n');
    expect(socketFromConfig(join(dir, 'dd.yaml'))).toEqual({ ok: true, path: '/run/dictdefence/control.sock' });
    expect(socketFromConfig(join(dir, 'missing.yaml'))).toMatchObject({ ok: false, error: expect.stringContaining('Cannot read control.socket') });
  });
});

describe('tables in the human output', () => {
  it('aligns columns on their widest cell and right-aligns numbers', () => {
    expect(table(['JAIL', 'BANS', 'NOTE'], [['sshd', 12, 'a'], ['postfix-sasl', 3, 'longer note']])).toBe(
      'JAIL          BANS  NOTE\n' +
      'sshd            12  a\n' +
      'postfix-sasl     3  longer note\n');
  });
});
