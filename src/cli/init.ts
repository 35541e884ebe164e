import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, parse, type Io } from './args.js';

export const initHelp = `Usage: dictdefence init [--prefix DIR] [--force]

Writes a first configuration with every default shown, in the layout the service scripts expect:
  PREFIX/etc/dictdefence/dictdefence.yaml   main config (record-only action to start with)
  PREFIX/etc/dictdefence/whitelist.txt      addresses never banned, one per line
  PREFIX/etc/dictdefence/conf.d/            drop-ins, merged over the main file
  PREFIX/etc/dictdefence/filters/           filters of your own
  PREFIX/var/lib/dictdefence/               state (mode 0700)
Files that exist are kept unless --force is given. Then: dictdefence check-config, and start the service.

Options:
      --prefix DIR    write under DIR instead of / (the config then names paths under DIR too)
      --force         overwrite files that exist
  -h, --help          show this help
`;

/** The templates ship in the package (contrib/etc), so an administrator can read them there too. */
const templates = fileURLToPath(new URL('../../contrib/etc/', import.meta.url));

export function initCommand(argv: readonly string[], io: Io): number {
  const a = parse(argv, { prefix: { type: 'string' }, force: { type: 'boolean' } });
  if (!a.ok) { io.err(`${a.error}\n\n${initHelp}`); return EXIT.usage; }
  if (a.values.help) { io.out(initHelp); return EXIT.ok; }
  if (a.positionals.length > 0) { io.err(`Unexpected argument "${a.positionals[0]}"\n\n${initHelp}`); return EXIT.usage; }
  const prefix = typeof a.values.prefix === 'string' ? resolve(a.values.prefix) : '';
  const etc = `${prefix}/etc/dictdefence`;
  const state = `${prefix}/var/lib/dictdefence`;
  const fill = (text: string): string => text.replaceAll('@STATE@', state).replaceAll('@RUN@', `${prefix}/run`);
  const files: [string, string, number][] = [
    ['dictdefence.yaml', join(etc, 'dictdefence.yaml'), 0o640],
    ['whitelist.txt', join(etc, 'whitelist.txt'), 0o644],
    ['conf.d/README', join(etc, 'conf.d/README'), 0o644],
    ['filters/README', join(etc, 'filters/README'), 0o644],
  ];
  try {
    for (const dir of [etc, join(etc, 'conf.d'), join(etc, 'filters')]) mkdirSync(dir, { recursive: true, mode: 0o755 });
    mkdirSync(state, { recursive: true, mode: 0o700 });
    chmodSync(state, 0o700);
    for (const [template, target, mode] of files) {
      if (existsSync(target) && !a.values.force) { io.out(`kept     ${target} (exists; --force overwrites)\n`); continue; }
      writeFileSync(target, fill(readFileSync(join(templates, template), 'utf8')), { mode });
      chmodSync(target, mode);
      io.out(`wrote    ${target}\n`);
    }
    io.out(`ready    ${state}\n`);
  } catch (e) {
    io.err(`Cannot write the configuration: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
  io.out(`\nNext: edit ${join(etc, 'dictdefence.yaml')}, then\n  dictdefence check-config${prefix ? ` -c ${join(etc, 'dictdefence.yaml')}` : ''}\n` +
    '  systemctl enable --now dictdefence    (or rc-update / sysrc, see contrib/)\n');
  return EXIT.ok;
}
