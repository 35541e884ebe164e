import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A recording stand-in for a program the tests cannot run here (pfctl, BSD route): an executable Node
 * script that appends its argv (as JSON) to a log and answers with a canned reply. Replies are chosen by
 * the first rule whose `args` all appear in argv; the default is exit 0 with no output.
 */
export interface Reply { readonly args: readonly string[]; readonly stdout?: string; readonly stderr?: string; readonly code?: number }

export interface StandIn {
  /** Absolute path of the executable to give the action as `binary`. */
  readonly path: string;
  /** Every argv the stand-in received, in order (argv[0] excluded). */
  calls(): string[][];
  /** Forgets the recorded calls. */
  clear(): void;
  reply(rules: readonly Reply[]): void;
  remove(): void;
}

const SCRIPT = `#!${process.execPath}
// Test stand-in: records argv, answers from the reply rules beside it.
const fs = require('node:fs');
const me = process.argv[1];
const args = process.argv.slice(2);
fs.appendFileSync(me + '.calls', JSON.stringify(args) + '\\n');
const rules = fs.existsSync(me + '.reply.json') ? JSON.parse(fs.readFileSync(me + '.reply.json', 'utf8')) : [];
const rule = rules.find((r) => r.args.every((a) => args.includes(a))) || {};
if (rule.stdout) process.stdout.write(rule.stdout);
if (rule.stderr) process.stderr.write(rule.stderr);
process.exitCode = rule.code || 0;
`;

export function createStandIn(program: string): StandIn {
  const dir = mkdtempSync(join(tmpdir(), 'dd-standin-'));
  // .cjs so that `require` works whatever package.json says about modules.
  const path = join(dir, `${program}.cjs`);
  writeFileSync(path, SCRIPT);
  chmodSync(path, 0o755);
  return {
    path,
    calls: () => existsSync(`${path}.calls`)
      ? readFileSync(`${path}.calls`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[])
      : [],
    clear: () => rmSync(`${path}.calls`, { force: true }),
    reply: (rules) => writeFileSync(`${path}.reply.json`, JSON.stringify(rules)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
