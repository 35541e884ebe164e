import { loadConfig } from '../config/load.js';
import { formatConfigError } from '../config/types.js';
import { configOption, DEFAULT_CONFIG, EXIT, parse, type Io } from './args.js';

export const checkConfigHelp = `Usage: dictdefence check-config [-c FILE]

Reads the config file, its conf.d/*.yaml drop-ins, the filters and whitelist files it names, and
reports every error with file, line and key. Exits 0 when the config is valid, 1 when it is not.

Options:
  -c, --config FILE   config file (default ${DEFAULT_CONFIG})
  -h, --help          show this help
`;

export function checkConfig(argv: readonly string[], io: Io): number {
  const a = parse(argv, configOption);
  if (!a.ok) { io.err(`${a.error}\n${checkConfigHelp}`); return EXIT.usage; }
  if (a.values.help) { io.out(checkConfigHelp); return EXIT.ok; }
  if (a.positionals.length > 0) { io.err(`Unexpected argument "${a.positionals[0]}"\n${checkConfigHelp}`); return EXIT.usage; }
  const file = (a.values.config as string | undefined) ?? DEFAULT_CONFIG;
  const r = loadConfig(file);
  if (!r.ok) {
    for (const e of r.errors) io.err(`${formatConfigError(e)}\n`);
    io.err(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'} in the configuration\n`);
    return EXIT.failure;
  }
  const jails = [...r.config.jails.values()];
  io.out(`${r.config.file}: OK, ${jails.length} jail${jails.length === 1 ? '' : 's'} (${jails.map((j) => `${j.name}${j.enabled ? '' : ' disabled'}`).join(', ')}), ` +
    `${r.config.actions.size} action${r.config.actions.size === 1 ? '' : 's'}, store ${r.config.store.type}\n`);
  return EXIT.ok;
}
