import { connect } from 'node:net';
import type { Reply, Request } from './protocol.js';

export type Outcome<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: string; readonly details?: readonly string[]; readonly notRunning?: boolean };

/**
 * Sends one request to the daemon and waits for its one reply line. Never throws: a daemon that is not
 * running, a socket this user may not open, or a daemon that does not answer in time is an error value with
 * a message for the administrator.
 */
export function request<T>(path: string, req: Request, timeoutMs = 60_000): Promise<Outcome<T>> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (o: Outcome<T>): void => { if (!settled) { settled = true; socket.destroy(); resolve(o); } };
    const socket = connect(path);
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => finish({ ok: false, error: `No answer from the daemon on "${path}" within ${Math.round(timeoutMs / 1000)} s` }));
    socket.on('connect', () => socket.write(`${JSON.stringify(req)}\n`));
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
        finish({ ok: false, notRunning: true, error: `DictDefence is not running (nothing answers on control socket "${path}")` });
      } else if (e.code === 'EACCES' || e.code === 'EPERM') {
        finish({ ok: false, error: `Permission denied on control socket "${path}": it is for root only` });
      } else {
        finish({ ok: false, error: `Cannot reach the daemon on "${path}": ${e.message}` });
      }
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const line = text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n'));
      if (!line) { finish({ ok: false, error: `The daemon on "${path}" closed the connection without an answer` }); return; }
      let reply: Reply<T>;
      try { reply = JSON.parse(line) as Reply<T>; } catch { finish({ ok: false, error: 'The daemon sent an answer that is not JSON' }); return; }
      finish(reply.ok ? { ok: true, result: reply.result } : { ok: false, error: reply.error, ...(reply.details ? { details: reply.details } : {}) });
    });
  });
}
