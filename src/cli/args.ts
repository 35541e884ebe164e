import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** What a command prints goes through this, so tests can capture it. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  readonly stdin: NodeJS.ReadableStream;
  /** The process that started this one, as read first thing (bin/dictdefence.js); `process.ppid` by default. */
  readonly parentPid?: number;
}

export const processIo: Io = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  stdin: process.stdin,
};

export type Options = NonNullable<ParseArgsConfig['options']>;

export type Parsed = { ok: true; values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } | { ok: false; error: string };

/** Parses argv strictly: an unknown flag is a usage error (exit 2), never silently ignored. */
export function parse(argv: readonly string[], options: Options): Parsed {
  try {
    const r = parseArgs({ args: [...argv], options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
    return { ok: true, values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

export const configOption = { config: { type: 'string', short: 'c' } } as const satisfies Options;
export const DEFAULT_CONFIG = '/etc/dictdefence/dictdefence.yaml';
