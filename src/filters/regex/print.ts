import type { Node, Repeat } from './ast.js';
import type { CharSet } from './charset.js';

const SYNTAX = new Set('\\^$.*+?()[]{}|/');
const CLASS_SYNTAX = new Set('\\]^-[');

function unitSrc(code: number, special: ReadonlySet<string>): string {
  const c = String.fromCharCode(code);
  if (special.has(c)) return `\\${c}`;
  if (code === 9) return '\\t';
  if (code === 10) return '\\n';
  if (code === 13) return '\\r';
  // Controls, separators and lone surrogates written raw would make a rule unreadable or break its YAML.
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
  if ((code >= 0x80 && code < 0xa0) || (code >= 0xd800 && code < 0xe000) || code === 0x2028 || code === 0x2029) {
    return `\\u${code.toString(16).padStart(4, '0')}`;
  }
  return c;
}

/** JavaScript source for one literal code unit outside a class. */
export const literalSrc = (code: number): string => unitSrc(code, SYNTAX);
/** JavaScript source for one code unit inside a class. */
export const classCharSrc = (code: number): string => unitSrc(code, CLASS_SYNTAX);

/** The inside of a class (without brackets) holding exactly `set`. */
export function classBody(set: CharSet): string {
  return set.map(([lo, hi]) => (lo === hi ? classCharSrc(lo) : `${classCharSrc(lo)}-${classCharSrc(hi)}`)).join('');
}

export const classSrc = (set: CharSet, negate: boolean): string => `[${negate ? '^' : ''}${classBody(set)}]`;

export interface PrintOptions {
  /** Named groups to keep as such (others, and all unnamed groups, become `(?:…)`); all when undefined. */
  readonly keepNames?: ReadonlySet<string>;
}

function quantifierSrc(r: Repeat): string {
  const { min, max } = r;
  let q: string;
  if (min === 0 && max === Infinity) q = '*';
  else if (min === 1 && max === Infinity) q = '+';
  else if (min === 0 && max === 1) q = '?';
  else if (min === max) q = `{${min}}`;
  else q = max === Infinity ? `{${min},}` : `{${min},${max}}`;
  return r.lazy ? `${q}?` : q;
}

/** JavaScript source for a tree; macros are printed as `<NAME>` for the filter compiler to expand. */
export function printRegex(node: Node, options: PrintOptions = {}): string {
  const p = (n: Node): string => printRegex(n, options);
  switch (node.type) {
    case 'alt': return node.alts.map(p).join('|');
    case 'seq':
      return node.items.map((item) => {
        if (item.type === 'alt') return `(?:${p(item)})`;
        // A group that only groups (no alternation inside, no quantifier on it) is printed without its parentheses.
        const plain = item.type === 'group' && (item.kind === 'plain' || (item.kind === 'capture' && options.keepNames !== undefined &&
          (item.name === undefined || !options.keepNames.has(item.name))));
        return plain && item.body.type !== 'alt' ? p(item.body) : p(item);
      }).join('');
    case 'group': {
      const body = p(node.body);
      switch (node.kind) {
        case 'capture':
          if (node.name !== undefined && (options.keepNames === undefined || options.keepNames.has(node.name))) {
            return `(?<${node.name}>${body})`;
          }
          return options.keepNames === undefined && node.name === undefined ? `(${body})` : `(?:${body})`;
        case 'plain': return `(?:${body})`;
        case 'ahead': return `(?=${body})`;
        case 'not-ahead': return `(?!${body})`;
        case 'behind': return `(?<=${body})`;
        case 'not-behind': return `(?<!${body})`;
      }
      break;
    }
    case 'repeat': {
      const b = node.body;
      const atomic = b.type === 'char' || b.type === 'group' || b.type === 'backref' || b.type === 'macro';
      return `${atomic ? p(b) : `(?:${p(b)})`}${quantifierSrc(node)}`;
    }
    case 'char': return node.src;
    case 'assert': return node.kind;
    case 'backref': return /^\d+$/.test(node.ref) ? `\\${node.ref}` : `\\k<${node.ref}>`;
    case 'macro': return `<${node.name}>`;
    case 'cond': throw new Error('A conditional group must be expanded before printing');
  }
  return '';
}
