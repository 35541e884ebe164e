import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join as joinPath, resolve } from 'node:path';
import { parseCidr, type Cidr } from '../core/cidr.js';
import { actions, isActionType } from '../actions/index.js';
import { isSourceType, sourceOptions } from '../sources/options.js';
import { checkSourceOptions } from '../sources/index.js';
import { isNotifierType, notifierChecks, notifierOptions } from '../notifiers/options.js';
import { compileFilter } from '../filters/compile.js';
import { findFilter, loadFilterFile, shippedFiltersDir } from '../filters/load.js';
import { Checker, checkSpec, entry, field, join, loc, mapOf, type Spec } from './check.js';
import { DEFAULTS } from './defaults.js';
import { mergeRaw, parseYamlFile, type Raw, type RawMap } from './raw.js';
import { parseTracker, parseBan } from './policy.js';
import type { Config, ConfigError, FilterRef, JailConfig, PluginConfig, SourceConfig, StoreConfig } from './types.js';

export type LoadResult = { ok: true; config: Config } | { ok: false; errors: ConfigError[] };

/** What logger(1) accepts for a daemon: `log.facility`. */
const SYSLOG_FACILITIES = ['daemon', 'auth', 'authpriv', 'user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'];

const TOP_KEYS = ['state_dir', 'pidfile', 'control', 'store', 'whitelist', 'whitelist_self', 'max_line_length', 'log',
  'defaults', 'actions', 'notifiers', 'jails'];

/** Reads the main file and its `conf.d/*.yaml` drop-ins (in name order), merges and validates them. */
export function loadConfig(file: string): LoadResult {
  const main = resolve(file);
  const parsed = parseYamlFile(main);
  if (parsed.errors.length > 0) return { ok: false, errors: parsed.errors };
  let root: Raw = parsed.root ?? { kind: 'map', entries: new Map(), file: main, line: 1 };
  const confd = joinPath(dirname(main), 'conf.d');
  const errors: ConfigError[] = [];
  if (existsSync(confd)) {
    for (const name of readdirSync(confd).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort()) {
      const p = parseYamlFile(joinPath(confd, name));
      errors.push(...p.errors);
      if (p.root) root = mergeRaw(root, p.root, new Set(['whitelist']));
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const c = new Checker(main);
  const config = validate(c, main, root);
  return c.errors.length > 0 || !config ? { ok: false, errors: c.errors } : { ok: true, config };
}

function validate(c: Checker, file: string, root: Raw): Config | undefined {
  const top = mapOf(c, root, '', TOP_KEYS);
  if (!top) return undefined;
  const str = (key: string, fallback: string, path = key, node = entry(top, key)): string =>
    (node ? field(c, node, path, { type: 'path' }) : undefined) ?? fallback;

  const stateDir = str('state_dir', DEFAULTS.stateDir);
  const pidfile = str('pidfile', DEFAULTS.pidfile);
  const control = entry(top, 'control');
  const controlMap = control ? mapOf(c, control, 'control', ['socket']) : undefined;
  const controlSocket = str('socket', DEFAULTS.controlSocket, 'control.socket', entry(controlMap, 'socket'));
  const maxLineNode = entry(top, 'max_line_length');
  const maxLineLength = (maxLineNode ? field(c, maxLineNode, 'max_line_length', { type: 'int', min: 256, max: 1 << 20 }) : undefined) ?? DEFAULTS.maxLineLength;
  const wsNode = entry(top, 'whitelist_self');
  const whitelistSelf = (wsNode ? field(c, wsNode, 'whitelist_self', { type: 'bool' }) : undefined) ?? DEFAULTS.whitelistSelf;

  const logNode = entry(top, 'log');
  const logOpts = logNode ? checkSpec(c, logNode, 'log', {
    level: { type: 'string', oneOf: ['error', 'warn', 'info', 'debug'] },
    file: { type: 'path' },
    syslog: { type: 'bool' },
    facility: { type: 'string', oneOf: SYSLOG_FACILITIES },
  }) : undefined;

  const store = parseStore(c, entry(top, 'store'), stateDir);
  const whitelist = parseWhitelist(c, entry(top, 'whitelist'));

  const defaultsNode = entry(top, 'defaults');
  const defaults = defaultsNode ? mapOf(c, defaultsNode, 'defaults', ['tracker', 'ban', 'actions', 'notifiers']) : undefined;
  const defTracker = parseTracker(c, entry(defaults, 'tracker'), 'defaults.tracker', DEFAULTS.tracker);
  const defBan = parseBan(c, entry(defaults, 'ban'), 'defaults.ban', DEFAULTS.ban);
  const defActions = nameList(c, entry(defaults, 'actions'), 'defaults.actions') ?? [];
  const defNotifiers = nameList(c, entry(defaults, 'notifiers'), 'defaults.notifiers') ?? [];

  const actionDefs = parsePlugins(c, entry(top, 'actions'), 'actions', (type) =>
    isActionType(type) ? actions[type].options : undefined, (node, path, type, options) => {
      if (isActionType(type)) {
        const check = actions[type].check as ((cc: Checker, n: Raw, p: string, o: Record<string, unknown>) => void) | undefined;
        check?.(c, node, path, options);
      }
    });
  const notifierDefs = parsePlugins(c, entry(top, 'notifiers'), 'notifiers', (type) =>
    isNotifierType(type) ? notifierOptions[type] : undefined, (node, path, type, options) => {
      if (isNotifierType(type)) {
        const check = notifierChecks[type] as (cc: Checker, n: Raw, p: string, o: Record<string, unknown>) => void;
        check(c, node, path, options);
      }
    });

  const filterDirs = [joinPath(dirname(file), 'filters'), shippedFiltersDir];
  const jails = new Map<string, JailConfig>();
  const jailsNode = entry(top, 'jails');
  if (jailsNode && jailsNode.kind !== 'map') c.error(jailsNode, 'jails', 'expected a mapping of jail names');
  const jailsMap = jailsNode?.kind === 'map' ? jailsNode : undefined;
  if (jailsMap) {
    for (const [name, e] of jailsMap.entries) {
      const jail = parseJail(c, name, e.node, {
        tracker: defTracker, ban: defBan, actions: defActions, notifiers: defNotifiers,
        actionNames: actionDefs, notifierNames: notifierDefs, filterDirs, maxLineLength,
      });
      if (jail) jails.set(name, jail);
    }
  }
  if (!jailsNode || jails.size === 0) {
    if (c.errors.length === 0) c.error(root, 'jails', 'no jail is configured: add at least one under "jails:"');
  }

  return {
    file, stateDir, pidfile, controlSocket, store, whitelist, whitelistSelf, maxLineLength,
    logLevel: (logOpts?.level as Config['logLevel'] | undefined) ?? 'info',
    ...(logOpts?.file ? { logFile: logOpts.file } : {}),
    ...(logOpts?.syslog !== undefined ? { logSyslog: logOpts.syslog } : {}),
    logFacility: logOpts?.facility ?? 'daemon',
    hitsPerAddress: DEFAULTS.hitsPerAddress,
    filterDirs, actions: actionDefs, notifiers: notifierDefs, jails,
  };
}

function parseStore(c: Checker, node: Raw | undefined, stateDir: string): StoreConfig {
  const fallback: StoreConfig = { type: 'sqlite', path: resolve(stateDir, DEFAULTS.storeFile), retentionMs: DEFAULTS.retentionMs };
  if (!node) return fallback;
  const o = checkSpec(c, node, 'store', {
    type: { type: 'string', oneOf: ['sqlite', 'file', 'mysql'] },
    path: { type: 'path' }, retention: { type: 'duration' },
    host: { type: 'string' }, port: { type: 'int', min: 1, max: 65535 }, user: { type: 'string' },
    password: { type: 'string' }, password_file: { type: 'path' }, database: { type: 'string' },
    table_prefix: { type: 'string' },
  });
  if (!o) return fallback;
  const retentionMs = o.retention ?? DEFAULTS.retentionMs;
  const type = (o.type ?? 'sqlite') as StoreConfig['type'];
  if (type === 'sqlite' || type === 'file') {
    return { type, path: o.path ?? resolve(stateDir, type === 'sqlite' ? DEFAULTS.storeFile : 'state.journal'), retentionMs };
  }
  let password = o.password ?? '';
  if (o.password_file) {
    try { password = readFileSync(o.password_file, 'utf8').trim(); } catch (e) {
      c.error(node, 'store.password_file', `cannot read "${o.password_file}": ${(e as Error).message}`);
    }
  }
  return {
    type, host: o.host ?? '127.0.0.1', port: o.port ?? (type === 'mysql' ? 3306 : 5432), user: o.user ?? 'dictdefence',
    password, database: o.database ?? 'dictdefence', tablePrefix: o.table_prefix ?? 'dd_', retentionMs,
  };
}

/** Inline addresses/CIDRs and `{ file: PATH }` entries with one address or CIDR per line. */
function parseWhitelist(c: Checker, node: Raw | undefined): Cidr[] {
  const out: Cidr[] = [];
  if (!node) return DEFAULTS.whitelist.map((t) => parseCidr(t) as Cidr);
  const items = node.kind === 'seq' ? node.items : [node];
  items.forEach((item, i) => {
    const path = node.kind === 'seq' ? `whitelist[${i}]` : 'whitelist';
    if (item.kind === 'map') {
      const o = checkSpec(c, item, path, { file: { type: 'path', required: true } });
      if (o?.file) out.push(...readWhitelistFile(c, item, path, o.file));
      return;
    }
    const cidrs = field(c, item, path, { type: 'cidrs' });
    if (cidrs) out.push(...cidrs);
  });
  return out;
}

function readWhitelistFile(c: Checker, node: Raw, path: string, file: string): Cidr[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    c.error(node, path, `cannot read whitelist file "${file}": ${(e as Error).message}`);
    return [];
  }
  const out: Cidr[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const cidr = parseCidr(line);
    if (cidr) out.push(cidr);
    else c.error({ file, line: i + 1 }, 'whitelist', `invalid address or CIDR "${line}"`);
  });
  return out;
}

function nameList(c: Checker, node: Raw | undefined, path: string): string[] | undefined {
  return node ? field(c, node, path, { type: 'strings' }) : undefined;
}

function parsePlugins(
  c: Checker, node: Raw | undefined, path: string, specOf: (type: string) => Spec | undefined,
  check: (node: Raw, path: string, type: string, options: Record<string, unknown>) => void,
): Map<string, PluginConfig> {
  const out = new Map<string, PluginConfig>();
  if (!node) return out;
  if (node.kind !== 'map') { c.error(node, path, 'expected a mapping of NAME: { type: …, … }'); return out; }
  for (const [name, e] of node.entries) {
    const p = join(path, name);
    const typeNode = e.node.kind === 'map' ? e.node.entries.get('type')?.node : undefined;
    const type = typeNode?.kind === 'scalar' ? String(typeNode.value) : undefined;
    if (!type) { c.error(e.node, p, 'missing required key "type"'); continue; }
    const spec = specOf(type);
    if (!spec) { c.error(typeNode ?? e.node, `${p}.type`, `unknown ${path === 'actions' ? 'action' : 'notifier'} type "${type}"`); continue; }
    const options = checkSpec(c, e.node, p, spec, ['type']);
    if (!options) continue;
    check(e.node, p, type, options);
    out.set(name, { name, type, options, loc: loc(e.node) });
  }
  return out;
}

interface JailContext {
  readonly tracker: JailConfig['tracker'];
  readonly ban: JailConfig['ban'];
  readonly actions: readonly string[];
  readonly notifiers: readonly string[];
  readonly actionNames: ReadonlyMap<string, PluginConfig>;
  readonly notifierNames: ReadonlyMap<string, PluginConfig>;
  readonly filterDirs: readonly string[];
  readonly maxLineLength: number;
}

const JAIL_KEYS = ['enabled', 'sources', 'filter', 'tracker', 'ban', 'actions', 'notifiers', 'use_line_time'];

function parseJail(c: Checker, name: string, node: Raw, ctx: JailContext): JailConfig | undefined {
  const path = `jails.${name}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) c.error(node, path, `invalid jail name "${name}": use letters, digits, "_", "-" and "."`);
  const m = mapOf(c, node, path, JAIL_KEYS);
  if (!m) return undefined;
  const enabledNode = entry(m, 'enabled');
  const enabled = (enabledNode ? field(c, enabledNode, `${path}.enabled`, { type: 'bool' }) : undefined) ?? true;
  const sources = parseSources(c, entry(m, 'sources'), `${path}.sources`, m);
  const filter = parseFilterRef(c, entry(m, 'filter'), `${path}.filter`, m, ctx);
  const tracker = parseTracker(c, entry(m, 'tracker'), `${path}.tracker`, ctx.tracker);
  const ban = parseBan(c, entry(m, 'ban'), `${path}.ban`, ctx.ban);
  const refs = (key: 'actions' | 'notifiers', known: ReadonlyMap<string, PluginConfig>, fallback: readonly string[]): string[] => {
    const n = entry(m, key);
    const names = (n ? field(c, n, `${path}.${key}`, { type: 'strings' }) : undefined) ?? [...fallback];
    for (const [i, ref] of names.entries()) {
      if (!known.has(ref)) c.error(n ?? m, n ? `${path}.${key}[${i}]` : `${path}.${key}`, `unknown ${key === 'actions' ? 'action' : 'notifier'} "${ref}"${known.size ? ` (defined: ${[...known.keys()].join(', ')})` : ` (none defined under "${key}:")`}`);
    }
    return names;
  };
  const actionList = refs('actions', ctx.actionNames, ctx.actions);
  if (actionList.length === 0 && enabled) c.error(m, `${path}.actions`, 'no action: name at least one (use an action of type "noban" to only record bans)');
  const notifierList = refs('notifiers', ctx.notifierNames, ctx.notifiers);
  const ltNode = entry(m, 'use_line_time');
  const useLineTime = (ltNode ? field(c, ltNode, `${path}.use_line_time`, { type: 'bool' }) : undefined) ?? false;
  if (!filter) return undefined;
  return { name, enabled, sources, filter, tracker, ban, actions: actionList, notifiers: notifierList, useLineTime, loc: loc(node) };
}

function parseSources(c: Checker, node: Raw | undefined, path: string, jail: RawMap): SourceConfig[] {
  if (!node) { c.error(jail, path, 'missing required key "sources"'); return []; }
  if (node.kind !== 'seq') { c.error(node, path, 'expected a list of sources, e.g. [{ type: file, path: /var/log/auth.log }]'); return []; }
  const out: SourceConfig[] = [];
  node.items.forEach((item, i) => {
    const p = `${path}[${i}]`;
    const typeNode = item.kind === 'map' ? item.entries.get('type')?.node : undefined;
    const type = typeNode?.kind === 'scalar' ? String(typeNode.value) : undefined;
    if (!type) { c.error(item, p, 'missing required key "type" (file, …)'); return; }
    if (!isSourceType(type)) { c.error(typeNode ?? item, `${p}.type`, `unknown source type "${type}"`); return; }
    const before = c.errors.length;
    const options: Record<string, unknown> | undefined = checkSpec(c, item, p, sourceOptions[type] as Spec, ['type']);
    if (!options) return;
    const sourcePath = typeof options.path === 'string' ? options.path : undefined;
    const source: SourceConfig = { type, ...(sourcePath ? { path: sourcePath } : {}), options, loc: loc(item) };
    // What a spec cannot say (a glob in a directory name, a journal field name) the source type checks itself.
    const problem = c.errors.length === before ? checkSourceOptions(source) : undefined;
    if (problem) { c.error(item, `${p}.${problem.key}`, problem.message); return; }
    out.push(source);
  });
  if (out.length === 0 && node.items.length === 0) c.error(node, path, 'no source: name at least one');
  return out;
}

function parseFilterRef(c: Checker, node: Raw | undefined, path: string, jail: RawMap, ctx: JailContext): FilterRef | undefined {
  if (!node) { c.error(jail, path, 'missing required key "filter"'); return undefined; }
  let name: string | undefined;
  let modes: string[] = [];
  if (node.kind === 'map') {
    const o = checkSpec(c, node, path, { name: { type: 'string', required: true }, modes: { type: 'strings' } });
    name = o?.name; modes = o?.modes ?? [];
  } else {
    name = field(c, node, path, { type: 'string' });
  }
  if (!name) return undefined;
  const file = findFilter(name, ctx.filterDirs);
  if (!file.ok) {
    c.error(node, path, `unknown filter "${name}": no ${name}.yaml in ${ctx.filterDirs.join(' or ')}`);
    return undefined;
  }
  const def = loadFilterFile(file.value);
  if (!def.ok) { c.errors.push(...def.errors); return undefined; }
  const compiled = compileFilter(def.value, { modes, maxLineLength: ctx.maxLineLength });
  if (!compiled.ok) { c.error(node, path, compiled.error); return undefined; }
  return { name, modes, loc: loc(node) };
}
