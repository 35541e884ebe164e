import { readFileSync } from 'node:fs';
import { EXIT, processIo, type Io } from './args.js';
import { checkConfig, checkConfigHelp } from './check-config.js';
import { run, runHelp } from './run.js';
import { testCommand, testHelp } from './test-command.js';

type Command = (argv: readonly string[], io: Io) => number | Promise<number>;

const commands: Record<string, { run: Command; help: string; summary: string }> = {
  run: { run, help: runHelp, summary: 'run the daemon (foreground; -d to detach)' },
  'check-config': { run: checkConfig, help: checkConfigHelp, summary: 'validate the configuration and report every error' },
  test: { run: testCommand, help: testHelp, summary: 'show what a filter matches in a log, and what would be banned' },
};

export const version = (): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch { return 'unknown'; }
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
