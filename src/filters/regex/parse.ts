import { RegexError } from './ast.js';
import type { Char, Group, GroupKind, Node } from './ast.js';
import { ANY, DOT, complement, single, withBothCases } from './charset.js';
import type { CharSet } from './charset.js';
import { ESCAPE_SETS, readClass, readEscapedCode } from './parse-class.js';
import { classSrc, literalSrc } from './print.js';

/**
 * `js`: what `new RegExp(source)` accepts without flags (Annex B syntax: a `{` that starts no quantifier is a
 * literal, `\1` beyond the group count is an octal escape). `python`: Python 3 `re` as fail2ban uses it —
 * `(?P<name>…)`, `(?P=name)`, `(?(name)yes|no)`, `(?i)`/`(?i:…)`, `\A`, `\Z`, `{,n}`; its constructs with no
 * JavaScript equivalent are refused with a {@link RegexError} naming them.
 */
export type Dialect = 'js' | 'python';

export interface ParseOptions {
  readonly dialect: Dialect;
  /** `<NAME>` tokens to parse as macro nodes (fail2ban's `<HOST>`, `<ADDR>`…); others are literal text. */
  readonly macros?: ReadonlySet<string>;
}

interface Flags { readonly i: boolean; readonly s: boolean }

export function parseRegex(source: string, options: ParseOptions): Node {
  return new Parser(source, options).parse();
}

class Parser {
  private pos = 0;
  private readonly py: boolean;
  private readonly captures: number;

  constructor(private readonly src: string, private readonly options: ParseOptions) {
    this.py = options.dialect === 'python';
    // JavaScript reads `\N` as a backreference only when the pattern has N groups, so count them first.
    this.captures = (src.match(/\((?!\?)|\(\?P?<(?![=!])/g) ?? []).length;
  }

  parse(): Node {
    let flags: Flags = { i: false, s: false };
    const global = this.py ? /^\(\?([aiLmsux]+)\)/.exec(this.src) : null;
    if (global) {
      flags = this.applyFlags(flags, global[1] ?? '', 0);
      this.pos = global[0].length;
    }
    const node = this.alternation(flags);
    if (this.pos < this.src.length) throw new RegexError('Unmatched ")"', this.pos);
    return node;
  }

  private fail(message: string, at = this.pos): never {
    throw new RegexError(message, at);
  }

  private applyFlags(flags: Flags, letters: string, at: number): Flags {
    let { i, s } = flags;
    for (const f of letters) {
      if (f === 'i') i = true;
      else if (f === 's') s = true;
      else if (f === 'x') this.fail('The verbose flag (?x) is not supported: write the pattern without it', at);
      else if (f === 'L') this.fail('The locale flag (?L) has no JavaScript equivalent', at);
      // a, u and m change nothing on one line of text: ASCII classes are what JavaScript has, and a line
      // holds no newline for ^ and $ to stop at.
    }
    return { i, s };
  }

  private alternation(flags: Flags): Node {
    const start = this.pos;
    const alts = [this.sequence(flags)];
    while (this.src[this.pos] === '|') {
      this.pos++;
      alts.push(this.sequence(flags));
    }
    return alts.length === 1 ? alts[0]! : { type: 'alt', alts, start, end: this.pos };
  }

  private sequence(flags: Flags): Node {
    const start = this.pos;
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      const atomStart = this.pos;
      const atom = this.atom(flags);
      if (atom) items.push(this.quantified(atom, atomStart));
    }
    return items.length === 1 ? items[0]! : { type: 'seq', items, start, end: this.pos };
  }

  private quantified(atom: Node, start: number): Node {
    let node = atom;
    {
      const q = this.quantifier();
      if (!q) return node;
      if (node.type === 'assert' || (node.type === 'seq' && node.items.length === 0)) this.fail('Nothing to repeat', start);
      let lazy = false;
      if (this.src[this.pos] === '?') { lazy = true; this.pos++; } else if (this.py && this.src[this.pos] === '+') {
        this.fail('Possessive quantifiers have no JavaScript equivalent', this.pos);
      }
      if (q.min > q.max) this.fail('Numbers out of order in a {} quantifier', start);
      node = { type: 'repeat', body: node, min: q.min, max: q.max, lazy, start, end: this.pos };
      const again = this.pos;
      if (this.quantifier()) this.fail('Multiple repeat', again);
      return node;
    }
  }

  private quantifier(): { min: number; max: number } | undefined {
    const c = this.src[this.pos];
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      return { min: c === '+' ? 1 : 0, max: c === '?' ? 1 : Infinity };
    }
    if (c !== '{') return undefined;
    const m = (this.py ? /^\{(\d*)(,(\d*))?\}/ : /^\{(\d+)(,(\d*))?\}/).exec(this.src.slice(this.pos));
    if (!m || (m[1] === '' && m[2] === undefined)) return undefined;
    this.pos += m[0].length;
    const min = m[1] === '' ? 0 : Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    return { min, max };
  }

  private char(set: CharSet, src: string, start: number): Char {
    return { type: 'char', set, src, start, end: this.pos };
  }

  private literal(code: number, flags: Flags, start: number): Char {
    const set = flags.i ? withBothCases(single(code)) : single(code);
    const src = set.length === 1 && set[0]![0] === set[0]![1] ? literalSrc(code) : classSrc(set, false);
    return this.char(set, src, start);
  }

  private atom(flags: Flags): Node | undefined {
    const start = this.pos;
    const c = this.src[this.pos]!;
    switch (c) {
      case '(': return this.group(flags);
      case '[': return this.charClass(flags);
      case '.':
        this.pos++;
        if (flags.s) return this.char(ANY, '[\\s\\S]', start);
        // Python's dot stops only at \n; JavaScript's also at \r, U+2028 and U+2029.
        return this.py ? this.char(complement(single(10)), '[^\\n]', start) : this.char(DOT, '.', start);
      case '^': case '$':
        this.pos++;
        return { type: 'assert', kind: c, start, end: this.pos };
      case '\\': return this.escape(flags);
      case '*': case '+': case '?': return this.fail('Nothing to repeat');
      case '<': {
        const m = /^<([A-Za-z][\w-]*)>/.exec(this.src.slice(this.pos));
        if (m && this.options.macros?.has(m[1]!)) {
          this.pos += m[0].length;
          return { type: 'macro', name: m[1]!, start, end: this.pos };
        }
        break;
      }
      case '{':
        if (this.quantifier()) this.fail('Nothing to repeat', start);
        break;
      default: break;
    }
    this.pos++;
    return this.literal(c.charCodeAt(0), flags, start);
  }

  private group(outer: Flags): Node | undefined {
    const start = this.pos;
    const rest = this.src.slice(this.pos);
    let kind: GroupKind = 'capture';
    let name: string | undefined;
    let flags = outer;
    let m: RegExpExecArray | null;
    if ((m = /^\(\?#[^)]*\)/.exec(rest)) && this.py) {
      this.pos += m[0].length;
      return undefined; // a comment
    } else if ((m = /^\(\?\(([^)]+)\)/.exec(rest)) && this.py) {
      this.pos += m[0].length;
      const body = this.alternation(outer);
      this.close(start);
      const alts = body.type === 'alt' ? body.alts : [body];
      if (alts.length > 2) this.fail('A conditional group (?(…)yes|no) has more than two branches', start);
      const empty: Node = { type: 'seq', items: [], start: this.pos, end: this.pos };
      return { type: 'cond', ref: m[1]!, yes: alts[0]!, no: alts[1] ?? empty, start, end: this.pos };
    } else if ((m = /^\(\?P=(\w+)\)/.exec(rest)) && this.py) {
      this.pos += m[0].length;
      return { type: 'backref', ref: m[1]!, start, end: this.pos };
    } else if ((m = (this.py ? /^\(\?P<(\w+)>/ : /^\(\?<([A-Za-z_$][\w$]*)>/).exec(rest))) {
      name = m[1]!;
    } else if ((m = /^\(\?(?:<=|<!|=|!|:)/.exec(rest))) {
      kind = ({ '(?:': 'plain', '(?=': 'ahead', '(?!': 'not-ahead', '(?<=': 'behind', '(?<!': 'not-behind' } as const)[m[0] as '(?:'];
    } else if ((m = /^\(\?([aiLmsux]*)(?:-([imsx]+))?:/.exec(rest)) && this.py) {
      kind = 'plain';
      flags = this.applyFlags(outer, m[1] ?? '', start);
      if (m[2]?.includes('i')) flags = { ...flags, i: false };
      if (m[2]?.includes('s')) flags = { ...flags, s: false };
    } else if (this.py && /^\(\?[aiLmsux]+\)/.test(rest)) {
      if (/^\(\?[a-z]*x/.test(rest)) this.fail('The verbose flag (?x) is not supported: write the pattern without it');
      this.fail('A global flag such as (?i) is allowed only at the very start of a pattern');
    } else if (this.py && rest.startsWith('(?>')) {
      this.fail('Atomic groups (?>…) have no JavaScript equivalent');
    } else if (rest.startsWith('(?')) {
      this.fail('Unknown group construct "(?"');
    } else {
      m = /^\(/.exec(rest);
    }
    this.pos += m![0].length;
    const body = this.alternation(flags);
    this.close(start);
    const group: Group = name === undefined ? { type: 'group', kind, body, start, end: this.pos }
      : { type: 'group', kind, name, body, start, end: this.pos };
    return group;
  }

  private close(start: number): void {
    if (this.src[this.pos] !== ')') this.fail('Unterminated group', start);
    this.pos++;
  }

  /** After a backslash outside a class. */
  private escape(flags: Flags): Node {
    const start = this.pos;
    const c = this.src[this.pos + 1];
    if (c === undefined) this.fail('\\ at end of pattern');
    this.pos += 2;
    const set = ESCAPE_SETS[c];
    if (set) return this.char(set, `\\${c}`, start);
    if (c === 'b' || c === 'B') return { type: 'assert', kind: c === 'b' ? '\\b' : '\\B', start, end: this.pos };
    if (this.py && c === 'A') return { type: 'assert', kind: '^', start, end: this.pos };
    if (this.py && c === 'Z') return { type: 'assert', kind: '$', start, end: this.pos };
    if (!this.py && c === 'k') {
      const m = /^<([^>]+)>/.exec(this.src.slice(this.pos));
      if (m) {
        this.pos += m[0].length;
        return { type: 'backref', ref: m[1]!, start, end: this.pos };
      }
    }
    if (c >= '1' && c <= '9') {
      const digits = /^\d{1,2}/.exec(this.src.slice(this.pos - 1))![0];
      const n = Number(digits);
      if (this.py || n <= this.captures) {
        this.pos += digits.length - 1;
        return { type: 'backref', ref: String(n), start, end: this.pos };
      }
    }
    this.pos = start;
    return this.literal(this.escapedCode(), flags, start);
  }

  private charClass(flags: Flags): Char {
    const start = this.pos;
    const cursor = { src: this.src, pos: this.pos, py: this.py };
    const c = readClass(cursor, flags.i);
    this.pos = cursor.pos;
    return this.char(c.set, c.src, start);
  }

  /** The code unit of an escape that stands for one character (`\n`, `\x41`, `\.`); moves past it. */
  private escapedCode(): number {
    const cursor = { src: this.src, pos: this.pos, py: this.py };
    const code = readEscapedCode(cursor);
    this.pos = cursor.pos;
    return code;
  }
}
