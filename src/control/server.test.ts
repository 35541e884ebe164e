import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/log.js';
import { request } from './client.js';
import { parseRequest } from './protocol.js';
import { startControlServer, type ControlServer } from './server.js';

describe('the control socket', () => {
  let dir: string;
  let server: ControlServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; rmSync(dir, { recursive: true, force: true }); });

  it('creates its folder 0700 and the socket 0600, and answers one request per connection', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-ctl-'));
    const path = join(dir, 'run/sub/control.sock');
    server = await startControlServer(path, async (req) => ({ ok: true, result: req.command }), silentLogger);
    expect(statSync(join(dir, 'run/sub')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await request(path, { command: 'status' })).toEqual({ ok: true, result: 'status' });
  });

  it('replaces a socket file left by a dead daemon, and refuses one where a daemon answers', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-ctl-'));
    const path = join(dir, 'control.sock');
    const stale = createServer();
    await new Promise<void>((r) => stale.listen(path, () => r()));
    await expect(startControlServer(path, async () => ({ ok: true, result: 1 }), silentLogger)).rejects.toThrow('another daemon is answering there');
    await new Promise<void>((r) => stale.close(() => r()));
    // A daemon killed with -9 leaves its socket file behind with nobody listening.
    await new Promise<void>((r) => {
      const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
      child.on('exit', () => r());
    });
    expect(statSync(path).isSocket()).toBe(true);
    server = await startControlServer(path, async () => ({ ok: true, result: 'fresh' }), silentLogger);
    expect(await request(path, { command: 'status' })).toEqual({ ok: true, result: 'fresh' });
  });

  it('refuses to take over a path that is not a socket', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-ctl-'));
    writeFileSync(join(dir, 'control.sock'), 'important');
    await expect(startControlServer(join(dir, 'control.sock'), async () => ({ ok: true, result: 1 }), silentLogger)).rejects.toThrow('is not a socket');
  });

  it('turns a handler that throws into an error reply', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dd-ctl-'));
    const path = join(dir, 'control.sock');
    server = await startControlServer(path, async () => { throw new Error('boom'); }, silentLogger);
    expect(await request(path, { command: 'status' })).toEqual({ ok: false, error: 'Internal error: boom' });
  });
});

describe('control requests', () => {
  it('accepts each command with its fields and refuses unknown commands, unknown fields and wrong types', () => {
    expect(parseRequest('{"command":"ban","address":"192.0.2.1","jail":"sshd","forMs":60000,"force":true}')).toMatchObject({ ok: true });
    expect(parseRequest('{"command":"unban","address":"192.0.2.1","allJails":true}')).toMatchObject({ ok: true });
    expect(parseRequest('{"command":"status"}')).toMatchObject({ ok: true });
    expect(parseRequest('[1]')).toEqual({ ok: false, error: 'Invalid request: expected a JSON object' });
    expect(parseRequest('{"command":"shutdown-host"}')).toMatchObject({ ok: false, error: expect.stringMatching(/^Unknown command "shutdown-host"/) });
    expect(parseRequest('{"command":"status","verbose":true}')).toEqual({ ok: false, error: 'Invalid request: unknown field "verbose" for "status"' });
    expect(parseRequest('{"command":"ban"}')).toEqual({ ok: false, error: 'Invalid request: "ban" needs "address"' });
    expect(parseRequest('{"command":"ban","address":"192.0.2.1","forMs":-5}')).toMatchObject({ ok: false });
    expect(parseRequest('{"command":"bans","jail":5}')).toEqual({ ok: false, error: 'Invalid request: "jail" must be a string' });
  });
});
