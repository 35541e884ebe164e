import { chmodSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../core/log.js';
import { MAX_REQUEST, parseRequest, type Reply, type Request } from './protocol.js';

export interface ControlServer {
  readonly path: string;
  /** Stops accepting, lets requests being answered finish, removes the socket file. */
  close(): Promise<void>;
}

/** Answers one request. It must not throw; a thrown error becomes an error reply anyway. */
export type Handler = (request: Request) => Promise<Reply>;

const IDLE_MS = 10_000;

/** Whether something answers on `path` (a live daemon) rather than a socket file left by a crash. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/**
 * Listens on a Unix socket that only root can use. Node cannot read a peer's credentials (no SO_PEERCRED), so
 * access rests on file modes: the folder is created 0700 when missing, and the socket is created under umask
 * 0177 (so there is no moment when it is 0755) and then set to 0600. Linux checks write permission on the
 * socket at connect(); on systems that ignore socket modes, the 0700 folder is what keeps others out.
 */
export async function startControlServer(path: string, handle: Handler, log: Logger): Promise<ControlServer> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let existing;
  try { existing = lstatSync(path); } catch { /* none */ }
  if (existing) {
    if (!existing.isSocket()) throw new Error(`Cannot listen on control socket "${path}": the path exists and is not a socket`);
    if (await answers(path)) throw new Error(`Cannot listen on control socket "${path}": another daemon is answering there`);
    unlinkSync(path); // left by a daemon that died without cleaning up
  }
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => serve(socket));
  server.maxConnections = 64;

  function serve(socket: Socket): void {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('error', () => { /* a client that went away mid-answer */ });
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false; // one request per connection: anything after it is ignored
    const reply = (r: Reply): void => { socket.end(`${JSON.stringify(r)}\n`); };
    const answer = (line: string): void => {
      done = true;
      const parsed = parseRequest(line);
      if (!parsed.ok) { log.debug(`Control: ${parsed.error}`); reply(parsed); return; }
      log.debug(`Control: ${parsed.request.command}`);
      handle(parsed.request).then(reply, (e: unknown) => reply({ ok: false, error: `Internal error: ${(e as Error).message}` }));
    };
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      const nl = chunk.indexOf(10);
      if (size + (nl === -1 ? chunk.length : nl) > MAX_REQUEST) {
        done = true;
        // Closed at once after the reply: a client that keeps sending is not read any further.
        socket.end(`${JSON.stringify({ ok: false, error: `Request too large: the limit is ${MAX_REQUEST} bytes` })}\n`, () => socket.destroy());
        return;
      }
      chunks.push(nl === -1 ? chunk : chunk.subarray(0, nl));
      size += chunk.length;
      if (nl !== -1) answer(Buffer.concat(chunks).toString('utf8'));
    });
    // A client may also end its request by closing its side instead of sending a newline.
    socket.on('end', () => { if (!done && size > 0) answer(Buffer.concat(chunks).toString('utf8')); else if (!done) socket.end(); });
  }

  // bind() happens inside listen(), synchronously: the umask is back before any other file is created.
  const previous = process.umask(0o177);
  let listening: Promise<void>;
  try {
    listening = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(previous);
  }
  await listening;
  chmodSync(path, 0o600);
  server.on('error', (e) => log.error(`Control socket error: ${e.message}`));
  log.debug(`Control socket listening on ${path}`);

  return {
    path,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle clients must not hold the stop up.
        setTimeout(() => { for (const s of open) s.destroy(); }, 2000).unref();
      });
      try { unlinkSync(path); } catch { /* gone */ }
    },
  };
}
