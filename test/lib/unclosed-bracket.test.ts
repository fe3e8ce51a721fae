import { describe, expect, it } from 'vitest';
import { unclosedOpening } from '../../lib/config/unclosed-bracket.js';

const end = (text: string): number => text.length;

describe('unclosedOpening', () => {
  it('finds the { a YAML flow mapping left open', () => {
    const text = 'log: { level: info }\nsource: { kind: simulator\nhttp:\n  bind: 127.0.0.1:8080\n';
    expect(unclosedOpening(text, text.indexOf('http'), '{')).toEqual({ line: 2, column: 9 });
  });

  it('finds the innermost one, across lines', () => {
    const text = '{ "a": {\n  "b": 1\n';
    expect(unclosedOpening(text, end(text), '{')).toEqual({ line: 1, column: 8 });
    const json = '{"a": 1,\n "b": [1, 2\n}\n';
    expect(unclosedOpening(json, json.lastIndexOf('}'), '[')).toEqual({ line: 2, column: 7 });
  });

  it('ignores brackets in quoted values and comments, and apostrophes in plain ones', () => {
    const text = "# a { in a comment\nname: it's [x]\nurl: \"https://x/{y\"\nq: 'a ''{'' b'\nsource: {kind: simulator\n";
    expect(unclosedOpening(text, end(text), '{')).toEqual({ line: 5, column: 9 });
  });

  it('finds nothing when every bracket is closed', () => {
    const text = 'a: {b: [1, 2]}\n';
    expect(unclosedOpening(text, end(text), '{')).toBeUndefined();
  });
});
