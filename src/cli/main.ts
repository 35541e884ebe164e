import { EXIT, processIo, type Io } from './args.js';
import { checkConfig, checkConfigHelp } from './check-config.js';
import { filterCommand, filterHelp } from './filter-command.js';
import { banCommand, banHelp, reloadCommand, reloadHelp, stopCommand, stopHelp, unbanCommand, unbanHelp } from './control-commands.js';
import { initCommand, initHelp } from './init.js';
import { bansCommand, bansHelp, statusCommand, statusHelp, whyCommand, whyHelp } from './query-commands.js';
import { run, runHelp } from './run.js';
import { storeCommand, storeHelp } from './store-command.js';
import { testCommand, testHelp } from './test-command.js';
import { version } from './version.js';

export { version };

type Command = (argv: readonly string[], io: Io) => number | Promise<number>;

const commands: Record<string, { run: Command; help: string; summary: string }> = {
  run: { run, help: runHelp, summary: 'run the daemon (foreground; -d to detach)' },
  'check-config': { run: checkConfig, help: checkConfigHelp, summary: 'validate the configuration and report every error' },
  test: { run: testCommand, help: testHelp, summary: 'show what a filter matches in a log, and what would be banned' },
  filter: { run: filterCommand, help: filterHelp, summary: 'convert a fail2ban filter: filter import FILE > NAME.yaml' },
  status: { run: statusCommand, help: statusHelp, summary: 'show the running daemon: jails, sources, counters, uptime' },
  bans: { run: bansCommand, help: bansHelp, summary: 'list active bans' },
  ban: { run: banCommand, help: banHelp, summary: 'ban an address now' },
  unban: { run: unbanCommand, help: unbanHelp, summary: 'lift a ban and forget the failures of an address' },
  why: { run: whyCommand, help: whyHelp, summary: 'show why an address is banned: bans, rules and log lines' },
  reload: { run: reloadCommand, help: reloadHelp, summary: 'make the daemon read its config again' },
  stop: { run: stopCommand, help: stopHelp, summary: 'stop the daemon and wait until it has exited' },
  init: { run: initCommand, help: initHelp, summary: 'write a first configuration under /etc/dictdefence' },
  store: { run: storeCommand, help: storeHelp, summary: 'export the bans of the store, or import them (move between stores)' },
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
    io.out(topic && commands[topic] ? commands[topic].help : mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') { io.out(`dictdefence ${version()}\n`); return EXIT.ok; }
  const command = commands[name];
  if (!command) { io.err(`Unknown command "${name}"\n\n${mainHelp()}`); return EXIT.usage; }
  try {
    return await command.run(rest, io);
  } catch (e) {
    io.err(`dictdefence ${name}: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
}
