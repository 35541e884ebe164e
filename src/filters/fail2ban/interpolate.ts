import type { IniSections, IniValue } from './ini.js';

/**
 * fail2ban's two interpolations, in its order. First configparser's `%(name)s` (and fail2ban's
 * `%(section/name)s`, `%(known/name)s`), resolved when an option of [Definition] is read, looking in the
 * jail's parameters (`mode=…`), then [Definition], then [DEFAULT]. Then fail2ban's own `<name>` tags,
 * innermost first (`<mdre-<mode>>` becomes `<mdre-normal>`, then its value), until nothing changes; a tag
 * that names no option stays as it is (`<HOST>`, `<F-USER>`).
 *
 * `overrides` replaces options wherever they are defined: the importer swaps fail2ban's catch-all line
 * prefix for DictDefence's anchored one, and idioms it knows to be exponential for linear equivalents.
 */
export class InterpolationError extends Error {
  constructor(message: string, readonly where: IniValue | undefined) {
    super(message);
  }
}

/** Tags fail2ban resolves itself when it compiles a regex, never from options. */
const RESERVED = /^(?:\/?F-[A-Z0-9_-]+\/?|HOST|ADDR|IP4|IP6|DNS|CIDR|SUBNET|SKIPLINES|SYSLOG|DATE)$/;
const MAX_DEPTH = 10;
const MAX_PASSES = 50;

/** Where a line of a resolved value was written. */
export interface Origin { readonly file: string; readonly line: number }

/**
 * Every line of every value substituted is prefixed with an invisible marker naming where it was written,
 * so that a regex assembled from five options still points at the line that holds its text.
 */
const MARK = /\u0001(\d+)\u0002/g;
const LEADING_MARKS = /^(?:\u0001\d+\u0002)+/;

export class Resolver {
  private readonly origins: Origin[] = [];

  constructor(
    private readonly sections: IniSections,
    private readonly params: ReadonlyMap<string, string>,
    private readonly overrides: ReadonlyMap<string, string>,
  ) {}

  /** Where an option of [Definition] (or [DEFAULT]) is written, for messages. */
  where(name: string): IniValue | undefined {
    return this.sections.get('Definition')?.get(name) ?? this.sections.get('DEFAULT')?.get(name);
  }

  /** The raw value of an option as configparser would find it from [Definition]; `undefined` if none. */
  private raw(name: string): { text: string; at: IniValue | undefined } | undefined {
    const key = name.toLowerCase();
    const slash = key.lastIndexOf('/');
    const base = slash === -1 ? key : key.slice(slash + 1);
    const found = (v: IniValue | undefined): { text: string; at: IniValue | undefined } | undefined =>
      v === undefined ? undefined : { text: v.value, at: v };
    const override = this.overrides.get(base);
    if (override !== undefined) return { text: override, at: undefined };
    const dflt = this.sections.get('DEFAULT')?.get(base);
    if (slash !== -1) {
      const section = key.slice(0, slash);
      if (section === 'known') return found(this.sections.get('Definition')?.get(`known/${base}`) ?? dflt);
      const named = [...this.sections.keys()].find((s) => s.toLowerCase() === section);
      const value = section === 'default' || named === undefined ? undefined : this.sections.get(named)?.get(base);
      return found(value ?? dflt);
    }
    const param = this.params.get(key);
    if (param !== undefined) return { text: param, at: undefined };
    return found(this.sections.get('Definition')?.get(key) ?? this.sections.get('Init')?.get(key) ?? dflt);
  }

  private mark(text: string, at: IniValue | undefined): string {
    if (at === undefined) return text;
    return text.split('\n').map((line, i) => {
      this.origins.push({ file: at.file, line: at.lines[Math.min(i, at.lines.length - 1)] ?? at.line });
      return `\u0001${this.origins.length - 1}\u0002${line}`;
    }).join('\n');
  }

  /** `%(name)s` interpolation of one value (configparser's BasicInterpolation, depth 10). */
  private percent(value: string, where: IniValue | undefined, depth: number): string {
    if (depth > MAX_DEPTH) throw new InterpolationError(`Interpolation nested deeper than ${MAX_DEPTH} levels (a loop?)`, where);
    return value.replace(/%%|%\(([^)]+)\)s/g, (whole, name: string | undefined) => {
      if (name === undefined) return '%';
      const raw = this.raw(name);
      if (raw === undefined) throw new InterpolationError(`Missing option "${name}" referenced as ${whole}`, where);
      return this.percent(this.mark(raw.text, raw.at), raw.at ?? where, depth + 1);
    });
  }

  /** An option of [Definition] after `%()s` interpolation (origin markers included), or `undefined`. */
  private option(name: string): string | undefined {
    const raw = this.raw(name);
    return raw === undefined ? undefined : this.percent(this.mark(raw.text, raw.at), raw.at, 0);
  }

  /** The plain value of an option after both interpolations, or `undefined` when it is not set. */
  value(name: string): string | undefined {
    const v = this.option(name);
    return v === undefined ? undefined : this.tags(v, this.where(name)).replace(MARK, '');
  }

  /** `<tag>` substitution of a value (fail2ban's substituteRecursiveTags for one option). */
  private tags(value: string, where: IniValue | undefined): string {
    let text = value;
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      let changed = false;
      const re = /<([^ <>]+)>/g;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        const name = m[1]!.replace(MARK, '');
        const repl = RESERVED.test(name) ? undefined : this.option(name);
        if (repl === undefined) continue;
        text = text.split(m[0]).join(repl);
        re.lastIndex = m.index;
        changed = true;
      }
      if (!changed) return text;
    }
    throw new InterpolationError(`Tags still unresolved after ${MAX_PASSES} passes (a tag that refers to itself?)`, where);
  }

  /** An option of [Definition] fully resolved and split into its lines (one regex each), with their origins. */
  lines(name: string): { text: string; origin: Origin | undefined }[] {
    const value = this.option(name);
    if (value === undefined) return [];
    return this.tags(value, this.where(name)).split('\n').map((line) => {
      const lead = LEADING_MARKS.exec(line)?.[0] ?? '';
      const ids = [...lead.matchAll(MARK)].map((m) => Number(m[1]));
      const last = ids[ids.length - 1];
      return { text: line.replace(MARK, '').trim(), origin: last === undefined ? undefined : this.origins[last] };
    }).filter((l) => l.text !== '');
  }
}
