import { readFileSync } from 'node:fs';

/** The version in package.json, read once (the CLI and the daemon's `status` report it). */
export const version = (): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch { return 'unknown'; }
};
