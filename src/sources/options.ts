import type { Spec } from '../config/check.js';

/** Option specs of each source type, validated by the config loader before any source is built. */
export const sourceOptions = {
  file: {
    path: { type: 'path', required: true, description: 'log file to follow like tail -F' },
    poll_interval: { type: 'duration', description: 'stat the file this often as a fallback to inotify; default 1s' },
    read_from_start: { type: 'bool', description: 'read a file seen for the first time from its start; default false (from its end)' },
  },
} as const satisfies Record<string, Spec>;

export type SourceType = keyof typeof sourceOptions;
export const isSourceType = (t: string): t is SourceType => Object.hasOwn(sourceOptions, t);
