import type { Node } from './ast.js';
import { onlyUnit } from './charset.js';

/**
 * The longest text every match of a regex contains, read from its tree: a rule whose literal is not in a line
 * cannot match it, and finding a literal costs less than running the rule, whose anchored prefix (the syslog
 * head) is matched again for every rule tried. Conservative: where the tree gives no certainty (alternation,
 * optional parts, backreferences, macros) the text is broken there, never guessed, so the answer is always
 * a substring of every match, possibly `''`. With `known` (a filter's prefilter texts, one of which every line
 * it reaches holds), the longest that is not inside every one of them: such a text is in the line already, and
 * searching for it tells nothing (`''` when there is no other).
 */
export function requiredLiteral(tree: Node, known: readonly string[] = []): string {
  const worth = known.length === 0
    ? (text: string): number => text.length
    : (text: string): number => (known.every((k) => k.includes(text)) ? 0 : text.length);
  const best = facts(tree, worth).best;
  return worth(best) === 0 ? '' : best;
}

/** How much a text is worth searching for: its length, or 0 when the line is known to hold it. */
type Worth = (text: string) => number;

interface Facts {
  /** The only text the node can match, or `undefined` when it can match more than one. */
  readonly exact: string | undefined;
  /** Longest text found inside every match. */
  readonly best: string;
  /** Text every match starts with, and text every match ends with. */
  readonly pre: string;
  readonly suf: string;
}

const NOTHING: Facts = { exact: '', best: '', pre: '', suf: '' };
const UNKNOWN: Facts = { exact: undefined, best: '', pre: '', suf: '' };
const exactly = (text: string): Facts => ({ exact: text, best: text, pre: text, suf: text });
const longest = (worth: Worth, ...texts: string[]): string => texts.reduce((a, b) => (worth(b) > worth(a) ? b : a), '');

function facts(node: Node, worth: Worth): Facts {
  switch (node.type) {
    case 'char': {
      const unit = onlyUnit(node.set);
      return unit === undefined ? UNKNOWN : exactly(String.fromCharCode(unit));
    }
    // Zero width: the text on either side of it is adjacent in the line.
    case 'assert': return NOTHING;
    case 'group':
      return node.kind === 'capture' || node.kind === 'plain' ? facts(node.body, worth) : NOTHING;
    case 'repeat': {
      if (node.min === 0) return node.max === 0 ? NOTHING : UNKNOWN;
      const body = facts(node.body, worth);
      if (body.exact !== undefined && node.min === node.max) return exactly(body.exact.repeat(node.min));
      // At least one repetition: the first starts as the body starts, the last ends as it ends.
      return { exact: undefined, best: body.best, pre: body.pre, suf: body.suf };
    }
    case 'seq': return sequence(node.items, worth);
    default: return UNKNOWN; // alternation, backreference, macro, condition
  }
}

function sequence(items: readonly Node[], worth: Worth): Facts {
  let pre: string | undefined;
  let run = '';
  let best = '';
  for (const item of items) {
    const f = facts(item, worth);
    if (f.exact !== undefined) {
      run += f.exact;
      continue;
    }
    if (pre === undefined) pre = run + f.pre;
    best = longest(worth, best, run + f.pre, f.best);
    run = f.suf;
  }
  if (pre === undefined) return exactly(run);
  return { exact: undefined, best: longest(worth, best, run), pre, suf: run };
}
