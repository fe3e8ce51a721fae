import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCE_DIRS = ['lib', 'app', 'machines', 'sources', 'outputs', 'commands'].filter((d) => existsSync(join(ROOT, d)));
const CODE = /['[]([A-Z]{2,6}\d{3})['\]]/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

function codesInSource(): Set<string> {
  const codes = new Set<string>();
  for (const dir of SOURCE_DIRS) {
    for (const file of tsFiles(join(ROOT, dir))) {
      for (const match of readFileSync(file, 'utf8').matchAll(CODE)) codes.add(match[1] as string);
    }
  }
  return codes;
}

describe('error code table (docs/errors.md)', () => {
  it('documents every code the code can throw, and no code that does not exist', () => {
    const page = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const documented = new Set([...page.matchAll(/^\| `([A-Z]+\d{3})` \|/gm)].map((m) => m[1] as string));
    const thrown = codesInSource();
    expect(thrown.size).toBeGreaterThan(30);
    expect([...thrown].filter((c) => !documented.has(c)).sort()).toEqual([]);
    expect([...documented].filter((c) => !thrown.has(c)).sort()).toEqual([]);
  });
});
