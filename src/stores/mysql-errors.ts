/**
 * Which mysql2 errors mean "the server cannot be reached right now" (retry later) rather than "this statement
 * is wrong" (report it). Only the first kind may be queued and replayed by the queueing decorator: queueing a
 * statement the server refuses would replay a failure forever.
 */
const CONNECTION_CODES = new Set([
  // The socket: refused, reset, timed out, no route, name lookup.
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN',
  // The driver lost the connection, or was handed one that had died.
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR', 'PROTOCOL_ENQUEUE_AFTER_QUIT',
  // The server is shutting down, full of connections, or killed ours.
  'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR', 'ER_CONNECTION_KILLED', 'ER_NET_READ_ERROR', 'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE', 'ER_NET_WRITE_INTERRUPTED', 'ER_CLIENT_INTERACTION_TIMEOUT',
]);

/**
 * mysql2 sets no code when a query is sent on a connection that already closed; its message says so. ("Pool
 * is closed" is not one of them: that is our own close, and retrying would not help.)
 */
const CLOSED_STATE = /closed state|connection is closed/i;

export function isConnectionError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, fatal, message } = e as { code?: unknown; fatal?: unknown; message?: unknown };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  // A fatal error other than a refused login closes the connection: the next attempt opens a new one.
  if (fatal === true && code !== 'ER_ACCESS_DENIED_ERROR' && code !== 'ER_BAD_DB_ERROR') return true;
  return typeof message === 'string' && CLOSED_STATE.test(message);
}

/** The server aborted the statement to break a deadlock, or gave up waiting for a lock: retry the transaction. */
export function isLockConflict(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}
