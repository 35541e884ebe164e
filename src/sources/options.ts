import type { Spec } from '../config/check.js';

/** Option specs of each source type, validated by the config loader before any source is built. */
export const sourceOptions = {
  file: {
    path: { type: 'path', required: true, description: 'log file to follow like tail -F; the file name may be a glob (*error.log)' },
    poll_interval: { type: 'duration', description: 'stat the files (and list a glob\'s directory) this often as a fallback to inotify; default 1s' },
    read_from_start: { type: 'bool', description: 'read a file seen for the first time from its start; default false (from its end)' },
    max_files: { type: 'int', min: 1, max: 65_536, description: 'most files a glob follows at once; default 1024' },
  },
  fifo: {
    path: { type: 'path', required: true, description: 'named pipe to read; created with mode 0600 if missing' },
  },
  syslog: {
    protocol: { type: 'string', oneOf: ['udp', 'tcp'], description: 'udp (default) or tcp' },
    address: { type: 'string', description: 'address to listen on; default 127.0.0.1' },
    port: { type: 'int', min: 1, max: 65_535, description: 'port to listen on; default 514' },
    allow: { type: 'cidrs', description: 'senders accepted (addresses or CIDRs); default loopback only' },
    max_connections: { type: 'int', min: 1, max: 65_536, description: 'TCP connections at once; default 64' },
  },
  journal: {
    match: { type: 'map', description: 'journal fields and values that must all match, e.g. { _SYSTEMD_UNIT: ssh.service }' },
    namespace: { type: 'string', description: 'journald namespace (journalctl --namespace)' },
    binary: { type: 'string', description: 'journalctl to run; default journalctl from PATH' },
  },
  stdin: {},
} as const satisfies Record<string, Spec>;

export type SourceType = keyof typeof sourceOptions;
export const isSourceType = (t: string): t is SourceType => Object.hasOwn(sourceOptions, t);
