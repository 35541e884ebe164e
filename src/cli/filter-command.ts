import { importFail2banFilter } from '../filters/fail2ban/convert.js';
import { EXIT, parse, type Io } from './args.js';

export const filterHelp = `Usage: dictdefence filter import [--mode MODE] [--param NAME=VALUE]... [--skip-unconvertible] FILE

Converts a fail2ban filter (filter.d/NAME.conf, with its [INCLUDES], NAME.local and %(…)s/<…> values) into a
DictDefence filter file, written to standard output:

  dictdefence filter import /etc/fail2ban/filter.d/sshd.conf > /etc/dictdefence/filters/sshd-f2b.yaml

Options:
      --mode MODE           the filter's "mode" parameter, as in fail2ban's filter = NAME[mode=MODE]
      --param NAME=VALUE    any other filter parameter (repeatable), e.g. --param logging=syslog
      --skip-unconvertible  leave out (and list) rules that cannot be converted instead of failing
  -h, --help                show this help

Rules fail2ban uses only to link the lines of a session (no address, <F-NOFAIL>, <F-MLFGAINED>) are left out
and listed in the output's comments and on standard error. A construct that cannot be converted (a
multi-line <SKIPLINES>, <DNS>, a Python-only construct, a pattern that takes more than linear time and that
the importer cannot repair) fails with exit code 1, naming the construct, the file and the line.
`;

export function filterCommand(argv: readonly string[], io: Io): number {
  const [sub, ...rest] = argv;
  if (sub === '-h' || sub === '--help') { io.out(filterHelp); return EXIT.ok; }
  if (sub !== 'import') { io.err(`${sub === undefined ? 'Name a subcommand' : `Unknown subcommand "${sub}"`}: only "import" exists\n${filterHelp}`); return EXIT.usage; }
  const a = parse(rest, { mode: { type: 'string' }, param: { type: 'string', multiple: true }, 'skip-unconvertible': { type: 'boolean' } });
  if (!a.ok) { io.err(`${a.error}\n${filterHelp}`); return EXIT.usage; }
  if (a.values.help) { io.out(filterHelp); return EXIT.ok; }
  if (a.positionals.length !== 1) { io.err(`Name one fail2ban filter file\n${filterHelp}`); return EXIT.usage; }
  const params = new Map<string, string>();
  for (const p of (a.values.param as string[] | undefined) ?? []) {
    const eq = p.indexOf('=');
    if (eq < 1) { io.err(`Invalid --param ${JSON.stringify(p)}: expected NAME=VALUE\n`); return EXIT.usage; }
    params.set(p.slice(0, eq).toLowerCase(), p.slice(eq + 1));
  }
  const mode = a.values.mode as string | undefined;
  const result = importFail2banFilter(a.positionals[0] as string, {
    ...(mode === undefined ? {} : { mode }), params, skipUnconvertible: a.values['skip-unconvertible'] === true,
  });
  if (!result.ok) {
    io.err(result.errors.map((e) => `${e.file}:${e.line}: ${e.message}\n`).join(''));
    return EXIT.failure;
  }
  for (const o of result.value.omitted) io.err(`Left out ${o.kind} at ${o.where}: ${o.reason}\n`);
  io.out(result.value.yaml);
  return EXIT.ok;
}
