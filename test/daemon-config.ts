import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.js';
import type { Config } from '../src/config/types.js';

/**
 * For tests that run the daemon in their own process: one sshd jail on an empty `auth.log` in `dir`, with the
 * noban action and `dir` as the state folder, written as dd.yaml and loaded as the daemon loads it.
 */
export function sshdNobanConfig(dir: string): Config {
  const file = join(dir, 'dd.yaml');
  writeFileSync(file, [
    `state_dir: ${dir}`, 'whitelist_self: false', 'actions:', '  none: { type: noban }', 'jails:', '  sshd:',
    `    sources: [{ type: file, path: ${join(dir, 'auth.log')} }]`, '    filter: sshd', '    actions: [none]',
  ].join('\n'));
  writeFileSync(join(dir, 'auth.log'), '');
  const loaded = loadConfig(file);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
  return loaded.config;
}
