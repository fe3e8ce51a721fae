/**
 * The `yaml` parser reports an unclosed `{` or `[` where it noticed the missing closer — the next
 * line, or the end of the file — not where the bracket was opened. This finds the opening one.
 */

export interface Place {
  line: number;
  column: number;
}

/** Whether a quote here starts a quoted scalar, not an apostrophe inside a plain one (`it's`). */
function startsScalar(text: string, at: number): boolean {
  return at === 0 || /[\s:,[{-]/.test(text[at - 1]!);
}

/** The innermost `open` bracket still unclosed at `offset` (1-based line and column), if any. */
export function unclosedOpening(text: string, offset: number, open: '{' | '['): Place | undefined {
  const stack: { char: string; at: number }[] = [];
  let i = 0;
  while (i < offset && i < text.length) {
    const c = text[i]!;
    if ((c === '"' || c === "'") && startsScalar(text, i)) {
      i = endOfQuoted(text, i, c);
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (c === '{' || c === '[') {
      stack.push({ char: c, at: i });
    } else if (c === '}' || c === ']') {
      stack.pop();
    }
    i += 1;
  }
  const opening = stack.reverse().find((entry) => entry.char === open);
  return opening === undefined ? undefined : placeOf(text, opening.at);
}

/** The offset of the closing quote (`"` with backslash escapes, `'` with `''`), or the end of the text. */
function endOfQuoted(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i += 1;
    else if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") i += 1;
      else return i;
    }
  }
  return text.length;
}

function placeOf(text: string, offset: number): Place {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
