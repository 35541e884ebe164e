/**
 * Reads a source entry of the config into the typed options of its factory. The loader has checked the
 * keys against `options.ts` already; this boundary checks again, and checks what a spec cannot express (a
 * glob only in the file name, journal field names), because a source may also be built from code (tests,
 * `dictdefence test`), and a wrong type here would surface later as a silent misbehaviour.
 */
import { isAbsolute, resolve, dirname } from 'node:path';
import { isIP } from 'node:net';
import type { SourceConfig } from '../config/types.js';
import { parseCidr, type Cidr } from '../core/cidr.js';
import { parseDuration } from '../core/duration.js';
import type { FifoSourceOptions } from './fifo.js';
import type { FileSourceOptions } from './file.js';
import { compileGlob, hasWildcard } from './glob.js';
import type { JournalSourceOptions } from './journal.js';
import type { SyslogSourceOptions } from './syslog.js';

/** An option that is wrong: its key and what is wrong with it. */
export interface OptionError { readonly key: string; readonly message: string }
export type Read<T> = { ok: true; value: T } | { ok: false; error: OptionError };

const bad = (key: string, message: string): Read<never> => ({ ok: false, error: { key, message } });
const good = <T>(value: T): Read<T> => ({ ok: true, value });
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** Shortest poll: below this the fallback costs more than it could gain over inotify. */
const MIN_POLL_MS = 10;
const LOOPBACK = ['127.0.0.0/8', '::1'].map((t) => parseCidr(t) as Cidr);
/** Journal field names: upper case, digits and "_", not starting with a digit (systemd's own rule). */
const FIELD = /^[A-Z_][A-Z0-9_]{0,63}$/;

function path(config: SourceConfig): Read<string> {
  const raw = config.path ?? config.options.path;
  if (typeof raw !== 'string' || raw === '') return bad('path', 'missing required key "path"');
  return good(isAbsolute(raw) ? raw : resolve(dirname(config.loc.file), raw));
}

function optionalInt(config: SourceConfig, key: string, min: number, max: number): Read<number | undefined> {
  const v = config.options[key];
  if (v === undefined) return good(undefined);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    return bad(key, `expected an integer from ${min} to ${max}, got ${show(v)}`);
  }
  return good(v);
}

export function fileOptions(config: SourceConfig): Read<FileSourceOptions> {
  const p = path(config);
  if (!p.ok) return p;
  if (hasWildcard(dirname(p.value))) return bad('path', `wildcards are allowed in the file name only, not in "${dirname(p.value)}"`);
  const glob = hasWildcard(p.value) ? compileGlob(p.value.slice(dirname(p.value).length + 1)) : undefined;
  if (glob && !glob.ok) return bad('path', glob.error);
  const poll = config.options.poll_interval;
  let pollIntervalMs: number | undefined;
  if (poll !== undefined) {
    const ms = typeof poll === 'string' ? parseDuration(poll) : poll;
    if (typeof ms !== 'number' || !(ms >= MIN_POLL_MS)) {
      return bad('poll_interval', `expected a duration of at least ${MIN_POLL_MS}ms, got ${show(poll)}`);
    }
    pollIntervalMs = ms;
  }
  const readFromStart = config.options.read_from_start;
  if (readFromStart !== undefined && typeof readFromStart !== 'boolean') {
    return bad('read_from_start', `expected true or false, got ${show(readFromStart)}`);
  }
  const maxFiles = optionalInt(config, 'max_files', 1, 65_536);
  if (!maxFiles.ok) return maxFiles;
  return good({
    path: p.value,
    ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
    ...(readFromStart !== undefined ? { readFromStart } : {}),
    ...(maxFiles.value !== undefined ? { maxFiles: maxFiles.value } : {}),
  });
}

export function fifoOptions(config: SourceConfig): Read<FifoSourceOptions> {
  const p = path(config);
  if (!p.ok) return p;
  if (hasWildcard(p.value)) return bad('path', 'a FIFO path cannot be a glob');
  return good({ path: p.value });
}

function cidrs(value: unknown, key: string): Read<Cidr[]> {
  const items: unknown[] = Array.isArray(value) ? value : [value];
  const out: Cidr[] = [];
  for (const item of items) {
    // From the loader: already parsed. From code: text.
    const cidr = typeof item === 'string' ? parseCidr(item) : item;
    if (typeof cidr !== 'object' || cidr === null || !('base' in cidr) || !('prefix' in cidr) || !('text' in cidr)) {
      return bad(key, `invalid address or CIDR ${show(item)}`);
    }
    out.push(cidr as Cidr);
  }
  return good(out);
}

export function syslogOptions(config: SourceConfig): Read<SyslogSourceOptions> {
  const o = config.options;
  const protocol = o.protocol ?? 'udp';
  if (protocol !== 'udp' && protocol !== 'tcp') return bad('protocol', `expected "udp" or "tcp", got ${show(protocol)}`);
  const address = o.address ?? '127.0.0.1';
  if (typeof address !== 'string' || isIP(address) === 0) {
    return bad('address', `expected an IPv4 or IPv6 address to listen on, got ${show(address)}`);
  }
  const port = optionalInt(config, 'port', 0, 65_535);
  if (!port.ok) return port;
  const allow = o.allow === undefined ? good(LOOPBACK) : cidrs(o.allow, 'allow');
  if (!allow.ok) return allow;
  const maxConnections = optionalInt(config, 'max_connections', 1, 65_536);
  if (!maxConnections.ok) return maxConnections;
  return good({
    protocol, address, port: port.value ?? 514, allow: allow.value,
    ...(maxConnections.value !== undefined ? { maxConnections: maxConnections.value } : {}),
  });
}

export function journalOptions(config: SourceConfig): Read<JournalSourceOptions> {
  const o = config.options;
  const match: Record<string, string> = {};
  if (o.match !== undefined) {
    if (typeof o.match !== 'object' || o.match === null || Array.isArray(o.match)) {
      return bad('match', `expected a mapping of journal fields to values, got ${show(o.match)}`);
    }
    for (const [field, value] of Object.entries(o.match)) {
      if (!FIELD.test(field)) return bad(`match.${field}`, `invalid journal field name "${field}": use upper case letters, digits and "_"`);
      if (typeof value !== 'string' || /[\n\0]/.test(value)) return bad(`match.${field}`, `expected one line of text, got ${show(value)}`);
      match[field] = value;
    }
  }
  const namespace = o.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(namespace))) {
    return bad('namespace', `invalid journal namespace ${show(namespace)}`);
  }
  const binary = o.binary;
  if (binary !== undefined && (typeof binary !== 'string' || binary === '')) return bad('binary', `expected a program path, got ${show(binary)}`);
  return good({
    match,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(binary !== undefined ? { binary } : {}),
  });
}
