import { type Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type YAMLError } from 'yaml';
import { z } from 'zod';
import { closest } from './closest.js';
import { ConfigError, fileProblem, readMappingText, type ConfigProblem } from './file.js';
import { MappingFileSchema, crossFieldProblems, describeValue, type MappingFile } from './schema.js';

// Mapping file → validated MappingFile, or a ConfigError that lists every problem with the
// file, line and column it is at.

export { ConfigError, formatProblem, type ConfigProblem } from './file.js';

/** Reads, parses (YAML or JSON, told apart by content) and validates the mapping file. */
export async function loadMappingFile(absPath: string, displayPath: string): Promise<MappingFile> {
  return parseMappingFile(await readMappingText(absPath, displayPath), displayPath);
}

/** A loaded mapping file, and where its keys are, for problems found later (a milestone GitHub lacks). */
export interface LoadedMapping {
  mapping: MappingFile;
  /** `file:LINE:COL` of the value at a path such as ['targets', 1, 'milestone']. */
  locate(path: readonly PropertyKey[]): string;
}

/** Parses and validates the text of a mapping file; `displayPath` names it in the problems. */
export function parseMappingFile(text: string, displayPath: string): MappingFile {
  return parseMappingDocument(text, displayPath).mapping;
}

/** Parses and validates the text of a mapping file, keeping where each key is. */
export function parseMappingDocument(text: string, displayPath: string): LoadedMapping {
  const lines = new LineCounter();
  const problemAt = (offset: number, path: string, message: string): ConfigProblem => {
    const { line, col } = lines.linePos(offset);
    return { file: displayPath, line, col, path, message };
  };

  // JSON is YAML 1.2, so yaml reads both; every integer becomes a bigint so that an unquoted
  // 19-digit id keeps its digits.
  const doc = parseDocument(text, { intAsBigInt: true, lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const json = /^\uFEFF?\s*[[{]/.test(text);
    const jsonError = json ? jsonSyntaxError(text) : undefined;
    if (jsonError) throw new ConfigError([problemAt(jsonError.offset, '', `JSON syntax error: ${jsonError.message}`)]);
    const kind = json ? 'JSON' : 'YAML';
    // Only the first: the parser's later errors mostly follow from it (one tab gives a dozen).
    const first = doc.errors[0]!;
    throw new ConfigError([problemAt(first.pos[0], '', `${kind} syntax error: ${syntaxMessage(first, text)}`)]);
  }
  // Nothing but white space and comments.
  if (doc.contents === null) throw fileProblem(displayPath, 'is empty; a mapping file needs "version: 1" and a list of targets');

  const data = numbersExceptIds(doc.toJS());
  const problems: { path: PropertyKey[]; atKey: boolean; message: string }[] = [];
  const result = MappingFileSchema.safeParse(data, { error: issueMessage });
  for (const issue of result.error?.issues ?? []) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: [...issue.path, key], atKey: true, message: unknownKeyMessage(key, knownKeys(issue.path)) });
      }
    } else {
      problems.push({ path: issue.path, atKey: issue.code === 'invalid_key', message: issue.message });
    }
  }
  for (const { path, message } of crossFieldProblems(data)) problems.push({ path, atKey: false, message });

  if (result.success && problems.length === 0) {
    return {
      mapping: result.data,
      locate: (path) => {
        const { line, col } = lines.linePos(offsetOf(doc, path, false));
        return `${displayPath}:${line}:${col}`;
      },
    };
  }
  const located = problems.map((p) => problemAt(offsetOf(doc, p.path, p.atKey), pathText(p.path), p.message));
  // Stable sort: problems at one spot keep the order in which they were found.
  throw new ConfigError(located.sort((a, b) => a.line - b.line || a.col - b.col));
}

/** `targets[1].labels[0]` */
export function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`)).join('');
}

/**
 * Where a path's node starts in the text: the value at that path (or, for `atKey`, its key);
 * when the path does not exist, as for a missing key, the nearest enclosing node that does.
 */
function offsetOf(doc: Document, path: readonly PropertyKey[], atKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const [i, key] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node) || isSeq(node)) offset = node.range?.[0] ?? offset;
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(key));
      if (!pair) return offset;
      const keyStart = isScalar(pair.key) ? (pair.key.range?.[0] ?? offset) : offset;
      if (atKey && i === path.length - 1) return keyStart;
      node = pair.value;
      offset = keyStart;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else {
      return offset;
    }
    if (node === null || node === undefined) return offset;
  }
  if (isScalar(node) || isMap(node) || isSeq(node) || isAlias(node)) return node.range?.[0] ?? offset;
  return offset;
}

/** The keys a map at `path` may have, for "did you mean" on an unknown key. */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = MappingFileSchema;
  for (const key of path) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(key)];
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else return [];
  }
  while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unknownKeyMessage(key: string, known: string[]): string {
  const [suggestion] = closest(key, known, 1);
  if (suggestion) return `unknown key "${key}"; did you mean "${suggestion}"?`;
  return `unknown key "${key}"; remove it (the keys allowed here are ${known.join(', ')})`;
}

const ID_KEYS = new Set(['key_result', 'objective']);

/** Integers back to numbers, except ids, which stay exact bigints for the schema to turn into digits. */
function numbersExceptIds(value: unknown, key?: string): unknown {
  if (typeof value === 'bigint') return key !== undefined && ID_KEYS.has(key) ? value : Number(value);
  if (Array.isArray(value)) return value.map((item) => numbersExceptIds(item));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, numbersExceptIds(v, k)]));
  }
  return value;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of keys and values',
  record: 'a map of keys and values',
};

/** Messages for the schema's checks that carry none of their own. */
// Values people write for another that is meant: country codes and names for a language.
// Spelling alone would suggest "en" for "cn".
const VALUE_ALIASES: Record<string, string> = {
  cn: 'zh',
  'zh-cn': 'zh',
  zh_cn: 'zh',
  'zh-hans': 'zh',
  chinese: 'zh',
  中文: 'zh',
  english: 'en',
  'en-us': 'en',
  en_us: 'en',
};

function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const shown = describeValue(issue.input);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'is missing; add it';
      if (issue.input === null) return 'is empty; give it a value or remove it';
      const wanted = `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}, not ${shown}`;
      if (issue.expected === 'string' && typeof issue.input !== 'object') return `${wanted}; put it in quotes`;
      if (issue.expected === 'array' && typeof issue.input === 'string') return `${wanted}; write a list such as [${shown}]`;
      const quotedNumber = typeof issue.input === 'string' && issue.input.trim() !== '' && !Number.isNaN(Number(issue.input));
      if ((issue.expected === 'number' || issue.expected === 'int') && quotedNumber) return `${wanted}; remove the quotes`;
      return wanted;
    }
    case 'invalid_value': {
      const values = issue.values.map(String);
      const choices = values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values[0];
      const alias = typeof issue.input === 'string' ? VALUE_ALIASES[issue.input.toLowerCase()] : undefined;
      const [suggestion] = alias && values.includes(alias) ? [alias] : typeof issue.input === 'string' ? closest(issue.input, values, 1) : [];
      return `must be ${choices}, not ${shown}${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`;
    }
    case 'too_small':
      if (issue.origin === 'array') return 'is an empty list; list at least one entry, or leave the key out';
      if (issue.origin === 'string') return `must not be empty`;
      return issue.inclusive ? `must be ${issue.minimum} or more, not ${shown}` : `must be more than ${issue.minimum}, not ${shown}`;
    case 'too_big':
      if (issue.origin === 'array') return `must list at most ${issue.maximum} entries, not ${(issue.input as unknown[]).length}`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters long, not ${(issue.input as string).length}`;
      return `must be ${issue.maximum} or less, not ${shown}`;
    case 'invalid_key':
      return issue.issues[0]?.message;
    default:
      return undefined;
  }
}

/** yaml's own wording for the usual mistakes, with how to fix them. */
function syntaxMessage(error: YAMLError, text: string): string {
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      // yaml points at the repeated key; its text runs up to the colon.
      const key = /^(?:"([^"]*)"|'([^']*)'|([^\n]*?))\s*:/.exec(text.slice(error.pos[0]));
      const name = key?.[1] ?? key?.[2] ?? key?.[3];
      return name === undefined ? `${error.message}; keep one` : `the key "${name}" appears twice in the same map; keep one`;
    }
    case 'MULTIPLE_DOCS':
      return 'the file holds more than one YAML document (a second "---"); keep one';
    case 'TAB_AS_INDENT':
      return 'a tab is used for indentation; indent with spaces';
    case 'BAD_INDENT':
      return `${error.message}; indent the entries of one map or list to the same column`;
    case 'MISSING_CHAR':
      return `${error.message}; check that each quote, [ and { before this point is closed`;
    case 'BLOCK_AS_IMPLICIT_KEY':
      return `${error.message}; quote a value that contains ": ", or put a nested map on its own indented lines`;
    default:
      return error.message;
  }
}

/**
 * The first syntax error of a JSON text, or undefined when it is valid JSON. yaml reads JSON
 * (and forgives some slips, such as a trailing comma), but describes the mistakes it cannot
 * read, such as a missing comma, in YAML's terms.
 */
function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = text.startsWith('\uFEFF') ? 1 : 0;
  class Stop {
    constructor(readonly offset: number, readonly message: string) {}
  }
  const stop = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const found = (): string => {
    if (i >= text.length) return 'found the end of the file';
    return text[i] === '"' ? `found '"'` : `found ${JSON.stringify(text[i])}`;
  };
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  const string = (): string => {
    const start = i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\n') stop('a string is not closed with " before the end of its line', start);
      if (text[i]! < ' ') stop('a control character in a string must be written as an escape such as \\t');
      if (text[i] === '\\' && !/^(?:["\\/bfnrt]|u[\da-fA-F]{4})/.test(text.slice(i + 1, i + 6))) {
        stop('unknown escape in a string; write a backslash as \\\\');
      }
      i += text[i] === '\\' ? 2 : 1;
    }
    if (i >= text.length) stop('a string is not closed with "', start);
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };

  const value = (): void => {
    space();
    if (text[i] === '{') return collection('}');
    if (text[i] === '[') return collection(']');
    if (text[i] === '"') {
      string();
      return;
    }
    LITERAL.lastIndex = i;
    if (!LITERAL.test(text)) stop(`expected a value (text in double quotes, a number, true, false, null, a list or a map), ${found()}`);
    i = LITERAL.lastIndex;
  };

  // A map ({…}, entries "key": value) or a list ([…]).
  const collection = (close: '}' | ']'): void => {
    i++;
    space();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      let key: string | undefined;
      if (close === '}') {
        space();
        if (text[i] !== '"') stop(`expected a key in double quotes, ${found()}`);
        key = string();
        space();
        if (text[i] !== ':') stop(`expected ":" after the key "${key}", ${found()}`);
        i++;
      }
      value();
      const end = i;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      if (text[i] !== ',') {
        stop(key === undefined ? 'expected "," or "]" after a list entry' : `expected "," or "}" after the value of "${key}"`, end);
      }
      const comma = i++;
      space();
      if (text[i] === close) stop(`a comma before "${close}" is not allowed in JSON; remove it`, comma);
    }
  };

  try {
    value();
    space();
    if (i < text.length) stop(`unexpected text after the end of the JSON value, ${found()}`);
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return { offset: error.offset, message: error.message };
    throw error;
  }
}
