/** The values of a JSON-lines text, and how many non-empty lines were not JSON (a damaged line must not hide the rest). */
export function parseJsonLines(text: string): { values: unknown[]; bad: number } {
  const values: unknown[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      values.push(JSON.parse(line) as unknown);
    } catch {
      bad += 1;
    }
  }
  return { values, bad };
}
