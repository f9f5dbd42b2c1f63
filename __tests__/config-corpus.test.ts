import { describe, expect, test, beforeAll, afterAll } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, formatProblem, loadMappingFile } from '../src/config/load.js';

// Every bad mapping file under fixtures/config/bad has a sibling `<name>.expected` holding
// the exact lines the user sees.

const BAD = join(process.cwd(), '__tests__/fixtures/config/bad');
const entries = readdirSync(BAD);
const fixtures = entries.filter((name) => !name.endsWith('.expected')).sort();

async function problemsOf(absPath: string, displayPath: string): Promise<ConfigError> {
  const error = await loadMappingFile(absPath, displayPath).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError for ${displayPath}, got ${String(error)}`);
  return error;
}

describe('bad mapping files', () => {
  test('the corpus is complete: at least 30 files, each with its expectation and none without', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
    const expectations = entries.filter((name) => name.endsWith('.expected')).sort();
    expect(expectations).toEqual(fixtures.map((name) => `${name}.expected`));
  });

  test.each(fixtures)('%s', async (name) => {
    const expected = readFileSync(join(BAD, `${name}.expected`), 'utf8').trimEnd();
    const error = await problemsOf(join(BAD, name), name);
    expect(error.message).toBe(expected);
    expect(error.problems.map(formatProblem).join('\n')).toBe(expected);
    expect(error.problems.every((p) => p.file === name)).toBe(true);
  });

  test('problems carry file, position, path and message separately, in file order', async () => {
    const error = await problemsOf(join(BAD, 'several-problems.json'), 'okr.json');
    expect(error.problems).toStrictEqual([
      {
        file: 'okr.json',
        line: 6,
        col: 20,
        path: 'targets[0].objective',
        message: 'set exactly one of key_result (a key result, type 3) or objective (type 2), not both',
      },
      {
        file: 'okr.json',
        line: 11,
        col: 17,
        path: 'targets[1].labels',
        message: 'must be a list, not "okr/perf"; write a list such as ["okr/perf"]',
      },
      { file: 'okr.json', line: 12, col: 21, path: 'targets[1].open_items', message: 'must be 100 or less, not 101' },
      { file: 'okr.json', line: 13, col: 7, path: 'targets[1].lables', message: 'unknown key "lables"; did you mean "labels"?' },
    ]);
  });
});

describe('mapping files that cannot be read', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'okr-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a missing file says where it looked and that the config input sets the path', async () => {
    const absPath = join(dir, 'okr-progress.yml');
    const error = await problemsOf(absPath, '.github/okr-progress.yml');
    const message = `not found (looked for ${absPath}); if the file is in the repository, add a step \`- uses: actions/checkout@v4\` before this action so that the workspace holds it; otherwise add the mapping file there, or set the "config" input to its path (default .github/okr-progress.yml)`;
    expect(error.problems).toStrictEqual([{ file: '.github/okr-progress.yml', line: 0, col: 0, path: '', message }]);
    expect(error.message).toBe(`.github/okr-progress.yml: ${message}`);
  });

  test('a directory', async () => {
    const absPath = join(dir, 'config.yml');
    await mkdir(absPath);
    const error = await problemsOf(absPath, 'config.yml');
    expect(error.message).toBe(
      'config.yml: is a directory, not a file; set the "config" input to the mapping file\'s path (default .github/okr-progress.yml)',
    );
  });

  test('a file larger than 1 MiB', async () => {
    const absPath = join(dir, 'huge.yml');
    await writeFile(absPath, `version: 1\n${'#'.repeat(1024 * 1024 - 10)}`);
    const error = await problemsOf(absPath, 'huge.yml');
    expect(error.message).toBe(
      'huge.yml: is 1048577 bytes, more than the 1 MiB a mapping file may have; is "config" pointing at the right file?',
    );
  });

  test('a file of exactly 1 MiB is read (and here found empty: comments only)', async () => {
    const absPath = join(dir, 'limit.yml');
    await writeFile(absPath, `${'#'.repeat(1024 * 1024 - 1)}\n`);
    const error = await problemsOf(absPath, 'limit.yml');
    expect(error.message).toBe('limit.yml: is empty; a mapping file needs "version: 1" and a list of targets');
  });
});
