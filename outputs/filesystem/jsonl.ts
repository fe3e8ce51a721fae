/** Pure helpers for the JSON-lines day files. */

const NEWLINE = 0x0a;

/** Bytes of `content` up to and including its last newline: what was confirmed written. */
export function confirmedLength(content: Buffer): number {
  return content.lastIndexOf(NEWLINE) + 1;
}

/** The complete lines of a day file's content; a torn last line is left out. */
export function completeLines(content: Buffer): string[] {
  const length = confirmedLength(content);
  if (length === 0) return [];
  return content.toString('utf8', 0, length - 1).split('\n');
}

/** Parses each line, skipping any that is not a JSON object (a damaged line must not block the rest). */
export function parseLines(lines: readonly string[]): Record<string, unknown>[] {
  const docs: Record<string, unknown>[] = [];
  for (const line of lines) {
    if (line.length === 0) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) docs.push(value as Record<string, unknown>);
    } catch {
      continue;
    }
  }
  return docs;
}

export function identifiersOf(docs: readonly Record<string, unknown>[]): Set<string> {
  const ids = new Set<string>();
  for (const doc of docs) if (typeof doc.identifier === 'string') ids.add(doc.identifier);
  return ids;
}

export function newestDateOf(docs: readonly Record<string, unknown>[]): number | undefined {
  let newest: number | undefined;
  for (const doc of docs) {
    if (typeof doc.date === 'number' && (newest === undefined || doc.date > newest)) newest = doc.date;
  }
  return newest;
}

/** One compact JSON document per line; `JSON.stringify` escapes newlines inside strings. */
export function toLines(docs: readonly object[]): string {
  let text = '';
  for (const doc of docs) text += `${JSON.stringify(doc)}\n`;
  return text;
}
