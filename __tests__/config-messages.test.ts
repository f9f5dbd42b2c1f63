import { describe, expect, test } from '@jest/globals';
import { ConfigError, parseMappingDocument, parseMappingFile } from '../src/config/load.js';

// The loader's messages, word for word, and the `file:LINE:COL` they point at. Every position
// below is counted by hand from the text of its test (lines and columns start at 1).

/** The lines a user sees for a mapping text that has problems. */
function problemsOf(text: string, file = 'okr.yml'): string[] {
  try {
    parseMappingFile(text, file);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('the mapping text was accepted');
}

const VALUE = 'expected a value (text in double quotes, a number, true, false, null, a list or a map)';

describe('JSON syntax errors', () => {
  test.each<[string, string, string]>([
    // Leading white space before the brace still makes it JSON.
    ['white space before the brace', '  {"version": 1 "targets": []}', '1:16 JSON syntax error: expected "," or "}" after the value of "version"'],
    // Valid JSON (an empty list included) that YAML rejects: a repeated key.
    ['a repeated key', '{"version": 1, "targets": [], "version": 1}', '1:31 JSON syntax error: the key "version" appears twice in the same map; keep one'],
    ['the end of the file where a key belongs', '{"version": 1,', '1:15 JSON syntax error: expected a key in double quotes, found the end of the file'],
    ['a value where ":" belongs', '{"version" 1}', '1:12 JSON syntax error: expected ":" after the key "version", found "1"'],
    ['a byte-order mark before the brace', '\uFEFF{\n  "version" 1}', '2:13 JSON syntax error: expected ":" after the key "version", found "1"'],
    ['numbers with a fraction and exponents', '[1.25e+25, 1E5 2', '1:15 JSON syntax error: expected "," or "]" after a list entry'],
    ['a string cut off by the end of the file', '{"version": 1, "targets', '1:16 JSON syntax error: a string is not closed with "'],
    ['a string cut off by the end of its line', '{"ab\nc": 1', '1:2 JSON syntax error: a string is not closed with " before the end of its line'],
    ['a tab inside a string', '{"a\tb": 1', '1:4 JSON syntax error: a control character in a string must be written as an escape such as \\t'],
    ['an unknown escape', '{"a\\x": 1', '1:4 JSON syntax error: unknown escape in a string; write a backslash as \\\\'],
    ['\\u with two hex digits', '{"a\\u12": 1', '1:4 JSON syntax error: unknown escape in a string; write a backslash as \\\\'],
    // \u00e9 and \" are valid escapes: the first error is after the value.
    ['valid escapes, then a missing comma', '{"caf\\u00e9 \\"x\\"": 1 "b": 2}', '1:22 JSON syntax error: expected "," or "}" after the value of "café "x""'],
    ['no value after the colon', '{"a": , "b": 1', `1:7 JSON syntax error: ${VALUE}, found ","`],
    ['an empty map, then a missing colon', '{"a": {}, "b" 1}', '1:15 JSON syntax error: expected ":" after the key "b", found "1"'],
    ['a key without quotes', '{version: 1', '1:2 JSON syntax error: expected a key in double quotes, found "v"'],
    ['a comma before "]"', '{"a": [1,], "b" 2}', '1:9 JSON syntax error: a comma before "]" is not allowed in JSON; remove it'],
    ['text after the value', '{"a": 1} x', '1:10 JSON syntax error: unexpected text after the end of the JSON value, found "x"'],
  ])('%s', (_name, text, expected) => {
    expect(problemsOf(text, 'okr.json')).toStrictEqual([`okr.json:${expected}`]);
  });
});

describe('YAML syntax errors', () => {
  test('a map written after a value on one line says to quote it or indent it', () => {
    expect(problemsOf('version: 1\ntargets:\n  - name: a: b\n')).toStrictEqual([
      'okr.yml:3:11 YAML syntax error: Nested mappings are not allowed in compact mappings; quote a value that contains ": ", or put a nested map on its own indented lines',
    ]);
  });

  test("other errors keep yaml's own words", () => {
    expect(problemsOf('version: 1\n]\n')).toStrictEqual(['okr.yml:2:1 YAML syntax error: Unexpected flow-seq-end token in YAML stream: "]"']);
  });

  test('a repeated key in single quotes is named without its quotes', () => {
    expect(problemsOf("'ab': 1\n'ab': 2\n")).toStrictEqual(['okr.yml:2:1 YAML syntax error: the key "ab" appears twice in the same map; keep one']);
  });

  test('a repeated key without a colon on its line keeps the generic words', () => {
    expect(problemsOf('x: {a, a,\n  b: 1}\n')).toStrictEqual(['okr.yml:1:8 YAML syntax error: Map keys must be unique; keep one']);
  });
});

describe('schema messages', () => {
  test('types: booleans, text, numbers in quotes or blank, enums given a number or a value meant elsewhere', () => {
    const text = `version: 1
targets:
  - key_result: "1"
    milestone: v1
    chart: yes
  - key_result: "2"
    milestone: v2
    chart: "1"
  - key_result: "3"
    milestone: v3
    name: [a]
  - key_result: "4"
    milestone: v4
    open_items: " "
    period: 5
    status: chinese
`;
    expect(problemsOf(text)).toStrictEqual([
      'okr.yml:5:12 targets[0].chart: must be true or false, not "yes"',
      'okr.yml:8:12 targets[1].chart: must be true or false, not "1"',
      'okr.yml:11:11 targets[2].name: must be text, not a list',
      'okr.yml:14:17 targets[3].open_items: must be a number, not " "',
      'okr.yml:15:13 targets[3].period: must be week, day, month, quarter or run, not 5',
      'okr.yml:16:13 targets[3].status: must be auto, none, normal, at-risk or delayed, not "chinese"',
    ]);
  });

  test.each([
    ['zh-CN', 'zh'],
    ['zh_cn', 'zh'],
    ['zh-Hans', 'zh'],
    ['Chinese', 'zh'],
    ['中文', 'zh'],
    ['English', 'en'],
    ['en-US', 'en'],
    ['en_us', 'en'],
  ])('language %s suggests %s', (written, meant) => {
    const text = `version: 1\ndefaults:\n  language: ${written}\ntargets:\n  - key_result: "1"\n    milestone: v1\n`;
    expect(problemsOf(text)).toStrictEqual([`okr.yml:3:13 defaults.language: must be en or zh, not "${written}"; did you mean "${meant}"?`]);
  });

  test('too long text and too many list entries give the limit and the count', () => {
    const text = `version: 1
defaults:
  source_title: ${'x'.repeat(101)}
targets:
  - key_result: "1"
    milestone: v1
    assignees: [a, b, c, d, e, f, g, h, i, j, k]
`;
    expect(problemsOf(text)).toStrictEqual([
      'okr.yml:3:17 defaults.source_title: must be at most 100 characters long, not 101',
      'okr.yml:7:16 targets[0].assignees: must list at most 10 entries, not 11',
    ]);
  });

  test('an unknown key in an entry of an optional list gets "did you mean"', () => {
    const text = `version: 1
targets:
  - key_result: "1"
    milestone: v1
    docs:
      - url: https://acme.feishu.cn/docx/A
        titel: Plan
`;
    expect(problemsOf(text)).toStrictEqual([
      'okr.yml:6:9 targets[0].docs[0].title: is missing; add it',
      'okr.yml:7:9 targets[0].docs[0].titel: unknown key "titel"; did you mean "title"?',
    ]);
  });
});

describe('locate', () => {
  const TEXT = `version: 1
targets:
  - &first
    key_result: "1"
    milestone: v1
  - *first
  - objective: "2"
    labels: [x, y]
`;
  const { mapping, locate } = parseMappingDocument(TEXT, 'okr.yml');

  test('the file was read, the alias as a copy of its anchor', () => {
    expect(mapping.targets.map((t) => [t.key_result, t.objective, t.milestone, t.labels])).toStrictEqual([
      ['1', undefined, 'v1', undefined],
      ['1', undefined, 'v1', undefined],
      [undefined, '2', undefined, ['x', 'y']],
    ]);
  });

  test('points at the value of a key, through an alias, and at list entries', () => {
    expect(locate([])).toBe('okr.yml:1:1');
    expect(locate(['targets', 0, 'milestone'])).toBe('okr.yml:5:16');
    expect(locate(['targets', 1, 'milestone'])).toBe('okr.yml:5:16');
    expect(locate(['targets', 2, 'labels', 1])).toBe('okr.yml:8:17');
  });

  test('a path that does not exist falls back to the nearest node that does', () => {
    // A missing key: the map that lacks it.
    expect(locate(['targets', 2, 'milestone'])).toBe('okr.yml:7:5');
    // Past the end of a list, or a list indexed by text: the list.
    expect(locate(['targets', 9])).toBe('okr.yml:3:3');
    expect(locate(['targets', '0'])).toBe('okr.yml:3:3');
    // Into a scalar: the key that holds it.
    expect(locate(['targets', 0, 'milestone', 'x'])).toBe('okr.yml:5:5');
    expect(locate(['targets', 0, 'milestone', 0])).toBe('okr.yml:5:5');
  });
});
