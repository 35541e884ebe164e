import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { DEFAULTS } from '../config/defaults.js';
import { request } from '../control/client.js';
import type { Request } from '../control/protocol.js';
import { DEFAULT_CONFIG, EXIT, parse, type Io, type Options } from './args.js';

/** Options every client command takes: where the daemon is, and machine-readable output. */
export const clientOptions = {
  config: { type: 'string', short: 'c' },
  socket: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies Options;

export const clientOptionsHelp = `  -c, --config FILE   talk to the daemon of this config (its control.socket; default ${DEFAULT_CONFIG})
      --socket PATH   talk to the daemon on this control socket
      --json          print the daemon's answer as JSON
  -h, --help          show this help`;

/**
 * The control socket named by a config: only `control.socket` is read (from the file, then its conf.d drop-ins,
 * the last one that sets it winning), and a YAML error elsewhere in a file does not hide it — a client must
 * still reach the daemon to `reload` or `stop` it after someone broke the config.
 */
export function socketFromConfig(file: string): { ok: true; path: string } | { ok: false; error: string } {
  const main = resolve(file);
  const confd = join(dirname(main), 'conf.d');
  const dropIns = existsSync(confd) ? readdirSync(confd).filter((x) => x.endsWith('.yaml') || x.endsWith('.yml')).sort().map((n) => join(confd, n)) : [];
  let found: string | undefined;
  for (const f of [main, ...dropIns]) {
    let text: string;
    try { text = readFileSync(f, 'utf8'); } catch (e) {
      if (f === main) return { ok: false, error: `Cannot read control.socket from "${main}": ${(e as Error).message}` };
      continue;
    }
    const value = parseDocument(text, { prettyErrors: false }).getIn(['control', 'socket']);
    if (typeof value === 'string' && value !== '') found = resolve(dirname(f), value);
  }
  return { ok: true, path: found ?? DEFAULTS.controlSocket };
}

export function socketPath(values: Record<string, unknown>): { ok: true; path: string } | { ok: false; error: string } {
  if (typeof values.socket === 'string') return { ok: true, path: resolve(values.socket) };
  if (typeof values.config === 'string') return socketFromConfig(values.config);
  return existsSync(DEFAULT_CONFIG) ? socketFromConfig(DEFAULT_CONFIG) : { ok: true, path: DEFAULTS.controlSocket };
}

export type ClientArgs = { values: Record<string, string | boolean | string[] | undefined>; positionals: string[]; socket: string; json: boolean };

/** Parses a client command's argv; prints usage errors (exit 2) and help itself. */
export function clientArgs(argv: readonly string[], extra: Options, help: string, io: Io, positionals: number):
  { ok: true; args: ClientArgs } | { ok: false; code: number } {
  const a = parse(argv, { ...clientOptions, ...extra });
  if (!a.ok) { io.err(`${a.error}\n\n${help}`); return { ok: false, code: EXIT.usage }; }
  if (a.values.help) { io.out(help); return { ok: false, code: EXIT.ok }; }
  if (a.positionals.length !== positionals) {
    io.err(`${positionals === 0 ? `Unexpected argument "${a.positionals[0]}"` : a.positionals.length === 0 ? 'Missing ADDRESS' : `Unexpected argument "${a.positionals[1]}"`}\n\n${help}`);
    return { ok: false, code: EXIT.usage };
  }
  if (a.values.socket !== undefined && a.values.config !== undefined) { io.err(`Use -c or --socket, not both\n\n${help}`); return { ok: false, code: EXIT.usage }; }
  const s = socketPath(a.values);
  if (!s.ok) { io.err(`${s.error}\n`); return { ok: false, code: EXIT.failure }; }
  return { ok: true, args: { values: a.values, positionals: a.positionals, socket: s.path, json: a.values.json === true } };
}

/**
 * Sends a request and prints the outcome: `render` for a success (or the JSON with --json), the daemon's error
 * and its details on stderr otherwise (with --json also as JSON on stdout). Exit 0 or 1.
 */
export async function send<T>(args: ClientArgs, req: Request, io: Io, render: (result: T) => string, timeoutMs?: number): Promise<number> {
  const r = await request<T>(args.socket, req, timeoutMs);
  if (r.ok) {
    io.out(args.json ? `${JSON.stringify(r.result, null, 2)}\n` : render(r.result));
    return EXIT.ok;
  }
  if (args.json) io.out(`${JSON.stringify({ error: r.error, ...(r.details ? { details: r.details } : {}), ...(r.notRunning ? { running: false } : {}) })}\n`);
  io.err(`${r.error}\n${(r.details ?? []).map((d) => `  ${d}\n`).join('')}`);
  return EXIT.failure;
}
