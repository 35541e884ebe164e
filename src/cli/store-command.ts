import { createReadStream } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { formatConfigError, type Config } from '../config/types.js';
import { realClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { openStore, type PortableBan, type PortableStore } from '../stores/index.js';
import { formatBan, formatHeader, parseExportLine } from '../stores/portable.js';
import { configOption, DEFAULT_CONFIG, EXIT, parse, type Io } from './args.js';
import { readLines } from './line-reader.js';

export const storeHelp = `Usage: dictdefence store export [-c FILE] > bans.jsonl
       dictdefence store import [-c FILE] bans.jsonl|-

Moves the ban history between stores, e.g. from SQLite to MySQL: export from the old store, change
"store:" in the config, import into the new one. Both act on the store the config names.

  export   writes every ban (active, lifted and permanent, with its origin and times) to standard output,
           one JSON object per line after a header line. Works with the daemon running or stopped (a file
           store in use is read without taking its lock).
  import   adds the bans of an export. Idempotent: a ban already present (same jail, address and start
           time) is skipped, and one the export shows lifted is lifted here too. Run it with the daemon
           stopped: a running daemon applies imported bans only at its next start, and a file store in use
           refuses it. Recent hits and source positions are not moved (positions name this machine's files).

Options:
  -c, --config FILE   config file (default ${DEFAULT_CONFIG})
  -h, --help          show this help

Exit codes: 0 success, 1 failure (an unreadable line is reported with its number; the others still import),
2 usage error.
`;

/** Rows per importBans call: one transaction (and one fsync) each. */
const BATCH = 1000;

export async function storeCommand(argv: readonly string[], io: Io): Promise<number> {
  const a = parse(argv, configOption);
  if (!a.ok) { io.err(`${a.error}\n${storeHelp}`); return EXIT.usage; }
  if (a.values.help) { io.out(storeHelp); return EXIT.ok; }
  const [verb, ...rest] = a.positionals;
  const expected = verb === 'import' ? 1 : 0;
  if ((verb !== 'export' && verb !== 'import') || rest.length !== expected) {
    io.err(`${verb === undefined ? 'Missing' : 'Unknown or incomplete'} store command${verb ? ` "${[verb, ...rest].join(' ')}"` : ''}\n${storeHelp}`);
    return EXIT.usage;
  }
  const loaded = loadConfig((a.values.config as string | undefined) ?? DEFAULT_CONFIG);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.err(`${formatConfigError(e)}\n`);
    return EXIT.failure;
  }
  const opened = await open(loaded.config, io, verb === 'export');
  if (!opened.ok) { io.err(`${opened.error}\n`); return EXIT.failure; }
  const store = opened.value;
  try {
    return verb === 'export' ? await exportTo(store, io) : await importFrom(store, rest[0] ?? '-', io);
  } finally {
    await store.close();
  }
}

function open(config: Config, io: Io, readOnly: boolean): ReturnType<typeof openStore> {
  // Warnings (rows skipped because their address does not parse) go to stderr, never into the export.
  const log = createLogger('warn', { write: (l) => io.err(l) }, false);
  // No outage queue: a command must fail at once, not pretend its writes landed.
  return openStore(config.store, { clock: realClock, log, readOnly, queue: false });
}

async function exportTo(store: PortableStore, io: Io): Promise<number> {
  io.out(formatHeader(store.type, realClock.now()));
  let chunk = '', rows = 0;
  for await (const ban of store.exportBans()) {
    chunk += formatBan(ban);
    if (++rows % BATCH === 0) { io.out(chunk); chunk = ''; }
  }
  io.out(chunk);
  io.err(`Exported ${rows} ban${rows === 1 ? '' : 's'} from the ${store.type} store\n`);
  return EXIT.ok;
}

async function importFrom(store: PortableStore, input: string, io: Io): Promise<number> {
  const name = input === '-' ? 'standard input' : input;
  const stream = input === '-' ? io.stdin : createReadStream(input);
  let lineNo = 0, invalid = 0, sawHeader = false;
  let batch: PortableBan[] = [];
  const total = { added: 0, lifted: 0, skipped: 0 };
  const flush = async (): Promise<void> => {
    const r = await store.importBans(batch);
    total.added += r.added; total.lifted += r.lifted; total.skipped += r.skipped;
    batch = [];
  };
  try {
    for await (const lines of readLines(stream as AsyncIterable<Buffer>)) {
      for (const text of lines) {
        lineNo++;
        if (text.trim() === '') continue;
        const parsed = parseExportLine(text);
        if (!sawHeader) {
          // Refuse anything that does not announce itself: a wrong file must not half-import.
          if (!parsed.ok || parsed.value.kind !== 'header') {
            io.err(`Cannot import ${name}: line ${lineNo} is not the header of a DictDefence export${parsed.ok ? '' : ` (${parsed.error})`}\n`);
            return EXIT.failure;
          }
          sawHeader = true;
          continue;
        }
        if (!parsed.ok || parsed.value.kind !== 'ban') {
          invalid++;
          io.err(`${name}:${lineNo}: skipped: ${parsed.ok ? 'a second header' : parsed.error}\n`);
          continue;
        }
        batch.push(parsed.value.ban);
        if (batch.length >= BATCH) await flush();
      }
    }
    if (batch.length > 0) await flush();
  } catch (e) {
    io.err(`Cannot import ${name} into the ${store.type} store: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
  if (!sawHeader) { io.err(`Cannot import ${name}: it is empty\n`); return EXIT.failure; }
  io.out(`Imported ${name} into the ${store.type} store: ${total.added} added, ${total.lifted} lifted, ${total.skipped} already present` +
    `${invalid > 0 ? `, ${invalid} unreadable lines skipped` : ''}\n`);
  return invalid > 0 ? EXIT.failure : EXIT.ok;
}
