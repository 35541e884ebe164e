import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * fail2ban's annotated sample logs (tests/files/logs/NAME in its source and in Debian's package), read the
 * way its samplestestcase.py reads them: `# failJSON: {…}` before a line says whether it must match and
 * which host it must yield; `# filterOptions: […]` lists the option sets (mode, logtype…) the following lines
 * are run with; `# fileOptions:` are merged into each; `# addFILE: "name"` reads another file afterwards.
 * `test.condition` and `constraint` are Python expressions; the two forms the logs use are evaluated here
 * (`name == 'sshd'`, `opts.get('mode') != 'aggressive'`), any other is an error rather than a guess.
 */
export interface SampleCase {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  /** The filter options (fail2ban parameters), without fail2ban's `test.` keys. */
  readonly options: Readonly<Record<string, string>>;
  readonly match: boolean;
  /** The host fail2ban must yield, when the annotation names one. */
  readonly host: string | undefined;
}

type Json = Record<string, unknown>;

function evaluate(expr: string, name: string, opts: Json): boolean {
  const byName = /^name\s*==\s*'([^']*)'$/.exec(expr.trim());
  if (byName) return name === byName[1];
  const byOpt = /^opts\.get\('([^']+)'\)\s*(==|!=)\s*'([^']*)'$/.exec(expr.trim());
  if (byOpt) {
    const value = opts[byOpt[1]!];
    return byOpt[2] === '==' ? value === byOpt[3] : value !== byOpt[3];
  }
  throw new Error(`Cannot evaluate fail2ban's test expression ${JSON.stringify(expr)}`);
}

const plain = (opts: Json): Record<string, string> =>
  Object.fromEntries(Object.entries(opts).filter(([k]) => !k.startsWith('test.')).map(([k, v]) => [k, String(v)]));

export function readSampleLogs(dir: string, name: string): SampleCase[] {
  const out: SampleCase[] = [];
  const files = [name];
  for (let f = 0; f < files.length; f++) {
    const file = path.join(dir, files[f]!);
    const lines = readFileSync(file, 'utf8').split('\n');
    let common: Json = {};
    let sets: Json[] | undefined;
    for (let i = 0; i < lines.length; i++) {
      const m = /^#+ ?(failJSON|fileOptions|filterOptions|addFILE):(.+)$/.exec(lines[i]!);
      if (!m) continue;
      const data = JSON.parse(m[2]!) as unknown;
      if (m[1] === 'fileOptions') { common = data as Json; continue; }
      if (m[1] === 'addFILE') { files.push(data as string); continue; }
      if (m[1] === 'filterOptions') {
        sets = (Array.isArray(data) ? data : [data]).map((d) => ({ ...common, ...(d as Json) }))
          .filter((o) => typeof o['test.condition'] !== 'string' || evaluate(o['test.condition'], name, o));
        continue;
      }
      const fail = data as Json;
      const text = (lines[++i] ?? '').replace(/\r$/, '');
      for (const opts of sets ?? [common]) {
        if (typeof opts['test.condition'] === 'string' && !evaluate(opts['test.condition'], name, opts)) continue;
        if (typeof fail['constraint'] === 'string' && !evaluate(fail['constraint'], name, opts)) continue;
        const host = typeof fail['host'] === 'string' ? fail['host'] : undefined;
        out.push({ file: files[f]!, line: i + 1, text, options: plain(opts), match: fail['match'] === true, host });
      }
    }
  }
  return out;
}
