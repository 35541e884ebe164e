import { EXIT, processIo, type Io } from './args.js';
import { version } from './version.js';

export { processIo, version };

type Command = (argv: readonly string[], io: Io) => number | Promise<number>;
interface Loaded { readonly run: Command; readonly help: string }

/*
 * Each command's module is imported only when that command runs: `run` should not carry the filter
 * importer, nor `status` the daemon, in memory and start-up time.
 */
const commands: Record<string, { summary: string; load: () => Promise<Loaded> }> = {
  run: { summary: 'run the daemon (foreground; -d to detach)', load: async () => { const m = await import('./run.js'); return { run: m.run, help: m.runHelp }; } },
  'check-config': { summary: 'validate the configuration and report every error', load: async () => { const m = await import('./check-config.js'); return { run: m.checkConfig, help: m.checkConfigHelp }; } },
  test: { summary: 'show what a filter matches in a log, and what would be banned', load: async () => { const m = await import('./test-command.js'); return { run: m.testCommand, help: m.testHelp }; } },
  filter: { summary: 'convert a fail2ban filter: filter import FILE > NAME.yaml', load: async () => { const m = await import('./filter-command.js'); return { run: m.filterCommand, help: m.filterHelp }; } },
  status: { summary: 'show the running daemon: jails, sources, counters, uptime', load: async () => { const m = await import('./query-commands.js'); return { run: m.statusCommand, help: m.statusHelp }; } },
  bans: { summary: 'list active bans', load: async () => { const m = await import('./query-commands.js'); return { run: m.bansCommand, help: m.bansHelp }; } },
  ban: { summary: 'ban an address now', load: async () => { const m = await import('./control-commands.js'); return { run: m.banCommand, help: m.banHelp }; } },
  unban: { summary: 'lift a ban and forget the failures of an address', load: async () => { const m = await import('./control-commands.js'); return { run: m.unbanCommand, help: m.unbanHelp }; } },
  why: { summary: 'show why an address is banned: bans, rules and log lines', load: async () => { const m = await import('./query-commands.js'); return { run: m.whyCommand, help: m.whyHelp }; } },
  reload: { summary: 'make the daemon read its config again', load: async () => { const m = await import('./control-commands.js'); return { run: m.reloadCommand, help: m.reloadHelp }; } },
  stop: { summary: 'stop the daemon and wait until it has exited', load: async () => { const m = await import('./control-commands.js'); return { run: m.stopCommand, help: m.stopHelp }; } },
  init: { summary: 'write a first configuration under /etc/dictdefence', load: async () => { const m = await import('./init.js'); return { run: m.initCommand, help: m.initHelp }; } },
  store: { summary: 'export the bans of the store, or import them (move between stores)', load: async () => { const m = await import('./store-command.js'); return { run: m.storeCommand, help: m.storeHelp }; } },
};

const mainHelp = (): string => `Usage: dictdefence COMMAND [OPTIONS]

DictDefence ${version()} watches logs for dictionary and brute-force attacks and bans the attackers.

Commands:
${Object.entries(commands).map(([n, c]) => `  ${n.padEnd(14)} ${c.summary}`).join('\n')}

Run "dictdefence COMMAND --help" for the options of a command.
Exit codes: 0 success, 1 failure, 2 usage error.
`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const entry = topic === undefined ? undefined : commands[topic];
    io.out(entry ? (await entry.load()).help : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') { io.out(`dictdefence ${version()}\n`); return EXIT.ok; }
  const command = commands[name];
  if (!command) { io.err(`Unknown command "${name}"\n\n${mainHelp()}`); return EXIT.usage; }
  try {
    return await (await command.load()).run(rest, io);
  } catch (e) {
    io.err(`dictdefence ${name}: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
}
