import { parseDuration, formatDuration } from '../core/duration.js';
import type { BanRow, ReloadResult } from '../control/protocol.js';
import { alive } from '../daemon/pidfile.js';
import { EXIT, type Io } from './args.js';
import { clientArgs, clientOptionsHelp, send } from './client.js';
import { when } from './table.js';

export const banHelp = `Usage: dictdefence ban ADDRESS [--jail J] [--for DURATION | --permanent] [--force] [-c FILE | --socket PATH] [--json]

Bans an address now, through the jail's actions, and records it like any other ban. Without --for or
--permanent the jail's ban policy sets the time (escalating for repeat offenders). A whitelisted address is
refused unless --force is given.

Options:
      --jail J        the jail (may be left out when there is only one)
      --for DURATION  ban for this long: 90s, 10m, 1h, 7d, 1w
      --permanent     never lift the ban by time
      --force         ban even a whitelisted address
${clientOptionsHelp}
`;

export const unbanHelp = `Usage: dictdefence unban ADDRESS [--jail J | --all-jails] [-c FILE | --socket PATH] [--json]

Lifts the ban of an address and forgets the failures counted against it, so that lines already in the log
do not ban it again at once. Without --jail it lifts the ban in the one jail that holds it; when several
jails hold it, name one or use --all-jails. Exit 1 when the address is not banned (its failures are
forgotten anyway).

Options:
      --jail J        lift the ban in this jail only
      --all-jails     lift it in every jail, and forget its failures everywhere
${clientOptionsHelp}
`;

export const reloadHelp = `Usage: dictdefence reload [-c FILE | --socket PATH] [--json]

Makes the daemon read its config file again (like SIGHUP) and reports what changed. A config with errors
is rejected, with every error listed, and the running configuration stays. Unchanged jails keep their
state; changed ones are rebuilt; bans of removed jails are lifted.

Options:
${clientOptionsHelp}
`;

export const stopHelp = `Usage: dictdefence stop [-c FILE | --socket PATH] [--no-wait] [--json]

Stops the daemon cleanly (like SIGTERM) and waits until its process has exited (at most 60 s).

Options:
      --no-wait       return as soon as the daemon has accepted the stop
${clientOptionsHelp}
`;

const banned = (b: BanRow): string =>
  `Banned ${b.address} in jail ${b.jail} ${b.until === null ? 'permanently' : `until ${when(b.until)} (${formatDuration(b.until - b.bannedAt)})`}, ban #${b.count}\n`;

export async function banCommand(argv: readonly string[], io: Io): Promise<number> {
  const p = clientArgs(argv, { jail: { type: 'string' }, for: { type: 'string' }, permanent: { type: 'boolean' }, force: { type: 'boolean' } }, banHelp, io, 1);
  if (!p.ok) return p.code;
  const v = p.args.values;
  if (v.for !== undefined && v.permanent) { io.err(`Use --for or --permanent, not both\n\n${banHelp}`); return EXIT.usage; }
  const forMs = typeof v.for === 'string' ? parseDuration(v.for) : undefined;
  if (v.for !== undefined && forMs === undefined) { io.err(`Invalid duration "${v.for}": use 90s, 10m, 1h, 7d or 1w\n`); return EXIT.usage; }
  return send<BanRow>(p.args, {
    command: 'ban', address: p.args.positionals[0] as string,
    ...(typeof v.jail === 'string' ? { jail: v.jail } : {}), ...(forMs !== undefined ? { forMs } : {}),
    ...(v.permanent ? { permanent: true } : {}), ...(v.force ? { force: true } : {}),
  }, io, banned);
}

export async function unbanCommand(argv: readonly string[], io: Io): Promise<number> {
  const p = clientArgs(argv, { jail: { type: 'string' }, 'all-jails': { type: 'boolean' } }, unbanHelp, io, 1);
  if (!p.ok) return p.code;
  const v = p.args.values;
  if (v.jail !== undefined && v['all-jails']) { io.err(`Use --jail or --all-jails, not both\n\n${unbanHelp}`); return EXIT.usage; }
  return send<{ lifted: BanRow[] }>(p.args, {
    command: 'unban', address: p.args.positionals[0] as string,
    ...(typeof v.jail === 'string' ? { jail: v.jail } : {}), ...(v['all-jails'] ? { allJails: true } : {}),
  }, io, (r) => (r.lifted.length === 0
    ? `${p.args.positionals[0]} was not banned; its recorded failures were forgotten\n`
    : r.lifted.map((b) => `Unbanned ${b.address} in jail ${b.jail}\n`).join('')));
}

export async function reloadCommand(argv: readonly string[], io: Io): Promise<number> {
  const p = clientArgs(argv, {}, reloadHelp, io, 0);
  if (!p.ok) return p.code;
  return send<ReloadResult>(p.args, { command: 'reload' }, io, (r) => {
    const part = (label: string, names: readonly string[]): string => (names.length > 0 ? `  ${label.padEnd(9)} ${names.join(', ')}\n` : '');
    let out = 'Reloaded the configuration\n';
    out += part('added', r.added) + part('removed', r.removed) + part('changed', r.changed) + part('unchanged', r.kept);
    if (r.needRestart.length > 0) out += `Changed keys that need a restart (old values stay in use): ${r.needRestart.join(', ')}\n`;
    return out;
  }, 180_000);
}

export async function stopCommand(argv: readonly string[], io: Io): Promise<number> {
  const p = clientArgs(argv, { 'no-wait': { type: 'boolean' } }, stopHelp, io, 0);
  if (!p.ok) return p.code;
  let pid = 0;
  const code = await send<{ pid: number }>(p.args, { command: 'stop' }, io, (r) => { pid = r.pid; return ''; });
  if (code !== EXIT.ok || p.args.values['no-wait']) return code;
  const end = Date.now() + 60_000;
  while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) { io.err(`The daemon (pid ${pid}) is still stopping after 60 s\n`); return EXIT.failure; }
  if (!p.args.json) io.out(`Stopped DictDefence (pid ${pid})\n`);
  return EXIT.ok;
}
