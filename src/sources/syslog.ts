/**
 * The syslog source: a UDP or TCP listener (`protocol`) on `address:port` (default 127.0.0.1:514) that turns
 * each RFC 3164 or RFC 5424 message into the line a file would hold (syslog-message.ts).
 *
 * Bounds, since every packet may be hostile:
 * - A sender whose address is not in `allow` (default: loopback only) is dropped before its message is
 *   looked at: a datagram is counted and forgotten, a TCP connection counted and closed. A flood of them
 *   costs one address parse each and no memory. The first is logged, then one summary a minute at most.
 * - A message over `maxMessage` bytes (8 KiB) is cut there and counted: a datagram by slicing, a TCP frame
 *   by skipping its rest as it arrives (syslog-framing.ts), so each connection buffers at most 8 KiB.
 * - At most `maxConnections` TCP connections at once (64); more are closed and counted as denied.
 * - TCP sockets are paused after each chunk until the next turn of the event loop, so a fast sender is held
 *   back by TCP's own flow control; UDP datagrams beyond what we keep up with are dropped by the kernel.
 * There is no position: what was sent while the daemon was down is lost (syslog over UDP promises nothing).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type AddressInfo, type Server, type Socket } from 'node:net';
import { parseAddress } from '../core/address.js';
import { createCidrSet, type Cidr } from '../core/cidr.js';
import type { LogLine } from '../core/types.js';
import { errorMessage } from './file-reader.js';
import { newSourceCounters, type Source, type SourceDeps } from './source.js';
import { createSyslogFramer } from './syslog-framing.js';
import { syslogLine } from './syslog-message.js';
import { createLifecycle } from './lifecycle.js';

export interface SyslogSourceOptions {
  readonly protocol: 'udp' | 'tcp';
  /** Address to bind: 127.0.0.1 by default; `0.0.0.0` or `::` for every interface. */
  readonly address: string;
  /** 0 picks a free port (tests); see `address()`. */
  readonly port: number;
  /** Senders accepted; default loopback (127.0.0.0/8 and ::1). */
  readonly allow: readonly Cidr[];
  readonly maxMessage?: number;
  readonly maxConnections?: number;
}

/** A listener needs no store: syslog has no position to resume from. */
export type SyslogSourceDeps = Pick<SourceDeps, 'clock' | 'log'>;

export interface SyslogSource extends Source {
  /** Where it listens once started (the real port when 0 was asked for). */
  address(): AddressInfo | undefined;
}

const MAX_MESSAGE = 8192;
/** Lines are handed on once per turn of the event loop, or sooner when this many are waiting. */
const BATCH = 1024;
const DENIED_SUMMARY_MS = 60_000;

export function createSyslogSource(options: SyslogSourceOptions, deps: SyslogSourceDeps): SyslogSource {
  const { protocol, address, port } = options;
  const id = `syslog:${protocol}:${isIPv6(address) ? `[${address}]` : address}:${port}`;
  const maxMessage = options.maxMessage ?? MAX_MESSAGE;
  const maxConnections = options.maxConnections ?? 64;
  const allow = createCidrSet(options.allow);
  const { clock, log } = deps;
  const counters = newSourceCounters();
  const connections = new Set<Socket>();

  let onLines: (lines: LogLine[]) => void = () => undefined;
  let stopping = false;
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;
  let pending: LogLine[] = [];
  let flushQueued = false;
  let deniedSinceSummary = 0;
  let lastSummaryAt = Number.NEGATIVE_INFINITY;
  const lifecycle = createLifecycle(id);

  const flush = (): void => {
    flushQueued = false;
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    counters.lines += lines.length;
    try {
      onLines(lines);
    } catch (e) {
      counters.errors++;
      log.warn(`Cannot hand on lines: ${errorMessage(e)}`, { source: id });
    }
  };

  const receive = (message: Buffer, sender: string): void => {
    const now = clock.now();
    const text = syslogLine(message, sender, now, counters);
    if (text === undefined) return;
    pending.push({ text, source: id, receivedAt: now });
    if (pending.length >= BATCH) flush();
    else if (!flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  };

  /** Counts a refusal; logs the first, then a summary at most once a minute. */
  const deny = (what: string): void => {
    counters.denied++;
    deniedSinceSummary++;
    const now = clock.now();
    if (now - lastSummaryAt < DENIED_SUMMARY_MS) return;
    log.warn(deniedSinceSummary === 1 ? what : `${what} (${deniedSinceSummary} refused since the last report)`, { source: id });
    lastSummaryAt = now;
    deniedSinceSummary = 0;
  };

  /** The canonical sender address if `allow` covers it. */
  const allowed = (remote: string | undefined): string | undefined => {
    const a = remote === undefined ? undefined : parseAddress(remote);
    return a !== undefined && allow.has(a) ? a : undefined;
  };

  function listenUdp(): Promise<void> {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    udp = socket;
    socket.on('message', (msg, rinfo) => {
      const sender = allowed(rinfo.address);
      if (sender === undefined) return deny(`Dropped syslog datagram from ${rinfo.address}: sender not in "allow"`);
      counters.bytes += msg.length;
      let body = msg;
      if (msg.length > maxMessage) {
        counters.truncated++;
        body = msg.subarray(0, maxMessage);
      }
      receive(body, sender);
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        socket.on('error', (e) => {
          counters.errors++;
          log.warn(`Syslog socket error: ${errorMessage(e)}`, { source: id });
        });
        resolve();
      });
    });
  }

  function accept(socket: Socket): void {
    const sender = allowed(socket.remoteAddress);
    if (sender === undefined) {
      socket.destroy();
      return deny(`Refused syslog connection from ${socket.remoteAddress ?? 'an unknown address'}: sender not in "allow"`);
    }
    if (connections.size >= maxConnections || stopping) {
      socket.destroy();
      return deny(`Refused syslog connection from ${sender}: already ${maxConnections} connections open`);
    }
    connections.add(socket);
    // Keepalive frees the slot of a sender that vanished without closing (a crashed or unplugged host).
    socket.setKeepAlive(true, 60_000);
    const framer = createSyslogFramer(maxMessage, counters);
    let resumeQueued = false;
    socket.on('data', (chunk: Buffer) => {
      counters.bytes += chunk.length;
      for (const message of framer.push(chunk)) receive(message, sender);
      if (resumeQueued) return;
      resumeQueued = true;
      socket.pause();
      setImmediate(() => {
        resumeQueued = false;
        if (!socket.destroyed) socket.resume();
      });
    });
    // A peer that resets the connection is routine; the close below cleans up either way.
    socket.on('error', (e) => log.debug(`Syslog connection from ${sender}: ${errorMessage(e)}`, { source: id }));
    socket.on('close', () => connections.delete(socket));
  }

  function listenTcp(): Promise<void> {
    const server = createServer(accept);
    tcp = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: address, port }, () => {
        server.off('error', reject);
        server.on('error', (e) => {
          counters.errors++;
          log.warn(`Syslog listener error: ${errorMessage(e)}`, { source: id });
        });
        resolve();
      });
    });
  }

  const closeUdp = (): void => {
    try {
      udp?.close();
    } catch {
      // Never bound, or closed already: nothing to release.
    }
    udp = undefined;
  };

  const boundAddress = (): AddressInfo | undefined => {
    const a = udp ? udp.address() : tcp?.address();
    return a !== undefined && a !== null && typeof a === 'object' ? a : undefined;
  };

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    closeUdp();
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
    flush();
    lifecycle.done();
  }

  return {
    id,
    counters,
    address: boundAddress,
    async start(callback, signal) {
      const go = lifecycle.begin(signal, stop);
      onLines = callback;
      if (!go) return stop();
      try {
        await (protocol === 'udp' ? listenUdp() : listenTcp());
      } catch (e) {
        closeUdp();
        tcp = undefined;
        throw new Error(`Cannot listen for syslog on ${protocol} ${address}:${port}: ${errorMessage(e)}`);
      }
      log.info(`Listening for syslog on ${protocol} ${address}:${boundAddress()?.port ?? port}`, { source: id });
    },
    stopped: lifecycle.stopped,
  };
}
