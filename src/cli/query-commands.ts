import { formatDuration } from '../core/duration.js';
import type { BanRow, StatusResult, WhyResult } from '../control/protocol.js';
import type { Io } from './args.js';
import { clientArgs, clientOptionsHelp, send } from './client.js';
import { table, when } from './table.js';

export const statusHelp = `Usage: dictdefence status [-c FILE | --socket PATH] [--json]

Shows the running daemon: version, pid, uptime, ban and action counters, the store, and per jail its
filter, active bans, lines read and matched, and its sources and notifiers.

Options:
${clientOptionsHelp}

Exit codes: 0 the daemon answered, 1 it is not running or failed, 2 usage error.
`;

export const bansHelp = `Usage: dictdefence bans [--jail J] [-c FILE | --socket PATH] [--json]

Lists active bans, oldest first: address, jail, since when, until when (or permanent), the how-manieth ban
of the address it is, and why.

Options:
      --jail J        only the bans of jail J
${clientOptionsHelp}
`;

export const whyHelp = `Usage: dictdefence why ADDRESS [-c FILE | --socket PATH] [--json]

Explains an address: whether it is whitelisted, its active bans, its ban history (how each ended), and the
log lines that counted against it, newest first, each with its jail and the filter rule that matched —
those behind past bans (from the store) and those still being counted.

Options:
${clientOptionsHelp}
`;

const until = (b: BanRow): string => (b.until === null ? 'permanent' : when(b.until));
const banTable = (rows: readonly BanRow[]): string =>
  table(['ADDRESS', 'JAIL', 'SINCE', 'UNTIL', 'COUNT', 'REASON'], rows.map((b) => [b.address, b.jail, when(b.bannedAt), until(b), b.count, b.reason]));

export async function statusCommand(argv: readonly string[], io: Io): Promise<number> {
  const p = clientArgs(argv, {}, statusHelp, io, 0);
  if (!p.ok) return p.code;
  return send<StatusResult>(p.args, { command: 'status' }, io, (s) => {
    const c = s.counters;
    let out = `DictDefence ${s.version}, pid ${s.pid}, up ${formatDuration(s.uptimeMs)}${s.dryRun ? ' (dry run)' : ''}\n`;
    out += `Config:  ${s.configFile}\n`;
    out += `Bans:    ${c.activeBans ?? 0} active; since start ${c.bans ?? 0} banned, ${c.unbans ?? 0} lifted, ${c.restored ?? 0} restored\n`;
    out += `Actions: ${c.applied ?? 0} applied, ${c.failed ?? 0} failed, ${c.retries ?? 0} retries\n`;
    out += `Store:   ${s.store.type}${s.store.error ? `: ${s.store.error}` : `, ${s.store.activeBans ?? 0} active, ${s.store.historyRows ?? 0} history rows, ${s.store.hitRows ?? 0} hits`}`;
    out += `${c.storeErrors ? `, ${c.storeErrors} errors` : ''}; ${c.reloads ?? 0} reloads\n\n`;
    out += table(['JAIL', 'FILTER', 'BANS', 'TRACKED', 'LINES', 'MATCHED', 'WHITELISTED', 'OFFENCES', 'ACTIONS'],
      s.jails.map((j) => [j.name, j.filter, j.activeBans, j.tracked, j.counters.lines ?? 0, j.counters.matched ?? 0, j.counters.whitelisted ?? 0, j.counters.offences ?? 0, j.actions.join(',')]));
    const sources = s.jails.flatMap((j) => j.sources.map((src) => [src.id, j.name, src.counters.lines ?? 0, src.counters.overlong ?? 0, src.counters.errors ?? 0] as const));
    if (sources.length > 0) out += `\n${table(['SOURCE', 'JAIL', 'LINES', 'OVERLONG', 'ERRORS'], sources)}`;
    if (s.notifiers.length > 0) out += `\n${table(['NOTIFIER', 'SENT', 'FAILED', 'DROPPED'], s.notifiers.map((n) => [n.name, n.sent, n.failed, n.dropped]))}`;
    return out;
  });
}

export async function bansCommand(argv: readonly string[], io: Io): Promise<number> {
  const p = clientArgs(argv, { jail: { type: 'string' } }, bansHelp, io, 0);
  if (!p.ok) return p.code;
  const jail = p.args.values.jail as string | undefined;
  return send<BanRow[]>(p.args, { command: 'bans', ...(jail !== undefined ? { jail } : {}) }, io,
    (rows) => (rows.length === 0 ? `No active bans${jail ? ` in jail "${jail}"` : ''}\n` : banTable(rows)));
}

export async function whyCommand(argv: readonly string[], io: Io): Promise<number> {
  const p = clientArgs(argv, {}, whyHelp, io, 1);
  if (!p.ok) return p.code;
  return send<WhyResult>(p.args, { command: 'why', address: p.args.positionals[0] as string }, io, (w) => {
    let out = `${w.address}: ${w.whitelisted ? `whitelisted (${w.whitelisted})` : 'not whitelisted'}, ${w.active.length === 0 ? 'not banned' : `banned in ${w.active.map((b) => b.jail).join(', ')}`}\n`;
    if (w.active.length > 0) out += `\nActive bans:\n${banTable(w.active)}`;
    if (w.history.length > 0) {
      out += `\nBan history (newest first):\n${table(['JAIL', 'SINCE', 'UNTIL', 'COUNT', 'ENDED', 'REASON'], w.history.map((b) => [
        b.jail, when(b.bannedAt), until(b), b.count, b.liftedAt === null ? 'active' : `${when(b.liftedAt)} (${b.liftReason ?? ''})`, b.reason,
      ]))}`;
    }
    if (w.hits.length === 0) return `${out}\nNo recorded log lines.\n`;
    out += '\nLog lines (newest first):\n';
    for (const h of w.hits) {
      out += `  ${when(h.at)}  ${h.jail}${h.pending ? ' (still counting)' : ''}${h.rule ? `  ${h.rule}` : ''}\n    ${h.line}\n`;
    }
    return out;
  });
}
