import { isAbsolute, resolve, dirname } from 'node:path';
import { formatConfigError, type SourceConfig } from '../config/types.js';
import { parseDuration } from '../core/duration.js';
import { err, ok, type Result } from '../core/types.js';
import { createFileSource, type FileSourceOptions } from './file.js';
import type { SourceType } from './options.js';
import type { Source, SourceDeps } from './source.js';

/** Every source type the config accepts (`options.ts` holds their option specs), by its `type`. */
export const sources = {
  file: createFileSource,
} as const satisfies Record<SourceType, (options: never, deps: SourceDeps) => Source>;

/** Shortest poll: below this the fallback costs more than it could gain over inotify. */
const MIN_POLL_MS = 10;

const fail = (config: SourceConfig, key: string, message: string): Result<never> =>
  err(formatConfigError({ file: config.loc.file, line: config.loc.line, key, message }));

/**
 * The loader has checked these options against `options.ts` already; this boundary checks again because a
 * source may also be built from code (tests, `dictdefence test`), and a wrong type here would surface later
 * as a silent misbehaviour rather than an error.
 */
function fileOptions(config: SourceConfig): Result<FileSourceOptions> {
  const { options } = config;
  const raw = config.path ?? options.path;
  if (typeof raw !== 'string' || raw === '') return fail(config, 'path', 'missing required key "path"');
  const path = isAbsolute(raw) ? raw : resolve(dirname(config.loc.file), raw);

  const poll = options.poll_interval;
  let pollIntervalMs: number | undefined;
  if (poll !== undefined) {
    const ms = typeof poll === 'string' ? parseDuration(poll) : poll;
    if (typeof ms !== 'number' || !(ms >= MIN_POLL_MS)) {
      return fail(config, 'poll_interval', `expected a duration of at least ${MIN_POLL_MS}ms, got ${JSON.stringify(poll)}`);
    }
    pollIntervalMs = ms;
  }
  const readFromStart = options.read_from_start;
  if (readFromStart !== undefined && typeof readFromStart !== 'boolean') {
    return fail(config, 'read_from_start', `expected true or false, got ${JSON.stringify(readFromStart)}`);
  }
  return ok({
    path,
    ...(pollIntervalMs !== undefined ? { pollIntervalMs } : {}),
    ...(readFromStart !== undefined ? { readFromStart } : {}),
  });
}

/** Builds the source a config entry names; an unknown type or bad option is an error value, never a throw. */
export function createSource(config: SourceConfig, deps: SourceDeps): Result<Source> {
  switch (config.type) {
    case 'file': {
      const options = fileOptions(config);
      return options.ok ? ok(sources.file(options.value, deps)) : options;
    }
    default:
      return fail(config, 'type', `unknown source type "${config.type}" (known: ${Object.keys(sources).join(', ')})`);
  }
}
