import { formatConfigError, type SourceConfig } from '../config/types.js';
import { err, ok, type Result } from '../core/types.js';
import { createFifoSource } from './fifo.js';
import { createFileSource } from './file.js';
import { createJournalSource } from './journal.js';
import type { SourceType } from './options.js';
import type { Source, SourceDeps } from './source.js';
import { fifoOptions, fileOptions, journalOptions, syslogOptions, type OptionError, type Read } from './source-config.js';
import { createStdinSource } from './stdin.js';
import { createSyslogSource } from './syslog.js';

/** Every source type the config accepts (`options.ts` holds their option specs), by its `type`. */
export const sources = {
  file: createFileSource,
  fifo: createFifoSource,
  syslog: createSyslogSource,
  journal: createJournalSource,
  stdin: createStdinSource,
} as const satisfies Record<SourceType, (options: never, deps: SourceDeps) => Source>;

/** Reads and checks a config entry's options, then builds the source from them. */
const builders: Record<SourceType, (config: SourceConfig, deps: SourceDeps) => Read<Source>> = {
  file: (c, deps) => map(fileOptions(c), (o) => sources.file(o, deps)),
  fifo: (c, deps) => map(fifoOptions(c), (o) => sources.fifo(o, deps)),
  syslog: (c, deps) => map(syslogOptions(c), (o) => sources.syslog(o, deps)),
  journal: (c, deps) => map(journalOptions(c), (o) => sources.journal(o, deps)),
  stdin: (_c, deps) => ({ ok: true, value: sources.stdin({ stream: process.stdin }, deps) }),
};

const checkers: Record<SourceType, (config: SourceConfig) => Read<unknown>> = {
  file: fileOptions,
  fifo: fifoOptions,
  syslog: syslogOptions,
  journal: journalOptions,
  stdin: () => ({ ok: true, value: undefined }),
};

function map<T, U>(r: Read<T>, fn: (value: T) => U): Read<U> {
  return r.ok ? { ok: true, value: fn(r.value) } : r;
}

const isKnown = (type: string): type is SourceType => Object.hasOwn(builders, type);

/**
 * What is wrong with a source entry's options beyond what the option spec checks (a glob in a directory
 * name, a journal field name), for the config loader; `undefined` when nothing is.
 */
export function checkSourceOptions(config: SourceConfig): OptionError | undefined {
  if (!isKnown(config.type)) return { key: 'type', message: `unknown source type "${config.type}"` };
  const r = checkers[config.type](config);
  return r.ok ? undefined : r.error;
}

/** Builds the source a config entry names; an unknown type or bad option is an error value, never a throw. */
export function createSource(config: SourceConfig, deps: SourceDeps): Result<Source> {
  const fail = (key: string, message: string): Result<never> =>
    err(formatConfigError({ file: config.loc.file, line: config.loc.line, key, message }));
  if (!isKnown(config.type)) {
    return fail('type', `unknown source type "${config.type}" (known: ${Object.keys(sources).join(', ')})`);
  }
  try {
    const r = builders[config.type](config, deps);
    return r.ok ? ok(r.value) : fail(r.error.key, r.error.message);
  } catch (e) {
    return fail('type', e instanceof Error ? e.message : String(e));
  }
}
