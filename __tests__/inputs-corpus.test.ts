import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP, AS_OF, GITHUB_TOKEN, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { runAction, type ActionResult } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// Every bad mapping file and bad input, run through the bundled action: each fails with its
// exact message as an error annotation (on the file, line and column where there is one)
// before any request reaches GitHub or Feishu.

const BAD = path.join(process.cwd(), '__tests__/fixtures/config/bad');
const MAPPING_FIXTURES = readdirSync(BAD)
  .filter((name) => !name.endsWith('.expected'))
  .sort();

let github: FakeGitHub;
let feishu: FakeFeishu;
let workspace = '';

beforeAll(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
  feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
});

afterAll(async () => {
  await Promise.all([github.close(), feishu.close()]);
});

afterEach(async () => {
  if (workspace) await rm(workspace, { recursive: true, force: true });
  workspace = '';
});

/** A workspace holding `files` (relative path → content, or a directory for null). */
async function workspaceWith(files: Record<string, string | null>): Promise<string> {
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-inputs-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(workspace, name);
    await mkdir(content === null ? file : path.dirname(file), { recursive: true });
    if (content !== null) await writeFile(file, content);
  }
  return workspace;
}

const LIVE_INPUTS = { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'as-of': AS_OF };

async function action(inputs: Record<string, string>): Promise<ActionResult> {
  return runAction({
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: { 'feishu-base-url': feishu.url, ...inputs },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
  });
}

// How the runner's command syntax escapes an annotation's message and its properties.
const escapeData = (text: string): string => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (text: string): string => escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** The error annotation for one line `file:LINE:COL path: message` (or `file: message`). */
function annotation(line: string, file: string): string {
  const at = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+) `).exec(line);
  const where = at ? `file=${escapeProperty(file)},line=${at[1]},col=${at[2]}` : `file=${escapeProperty(file)}`;
  return `::error ${where}::${escapeData(line)}`;
}

const mappingFailure = (count: number): string =>
  `::error::The mapping file has ${count} problem${count === 1 ? '' : 's'} (listed above); nothing was sent to GitHub or Feishu.`;

const unescapeData = (text: string): string => text.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%');

/**
 * The `error` output of a refused run, from its annotations: the one reason; or the mapping
 * file's count (without "listed above") and then each problem on its own line.
 */
function errorOutput(errors: string[]): string {
  const messages = errors.map((line) => unescapeData(line.slice(line.indexOf('::', 2) + 2)));
  const last = messages[messages.length - 1]!;
  return last.includes(' (listed above)') ? [last.replace(' (listed above)', ''), ...messages.slice(0, -1)].join('\n') : last;
}

/** Asserts a failed run: exactly these error lines, no record, failed 1 and the reason, no request sent. */
function expectRefused(result: ActionResult, errors: string[]): void {
  expect(result.stdout.split('\n').filter((line) => line.startsWith('::error'))).toEqual(errors);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(1);
  expect(result.outputs).toStrictEqual({ records: '[]', created: '0', updated: '0', failed: '1', error: errorOutput(errors) });
  expect(github.requests).toEqual([]);
  expect(feishu.requests).toEqual([]);
}

describe('bad mapping files, run by the bundled action', () => {
  test('the corpus counts at least 40 cases with the inputs below', () => {
    expect(MAPPING_FIXTURES.length + UNREADABLE.length + BAD_INPUTS.length).toBeGreaterThanOrEqual(40);
  });

  test.each(MAPPING_FIXTURES)('%s', async (name) => {
    const expected = readFileSync(path.join(BAD, `${name}.expected`), 'utf8').trimEnd().split('\n');
    await workspaceWith({});
    await copyFile(path.join(BAD, name), path.join(workspace, name));
    const result = await action({ ...LIVE_INPUTS, config: name });
    expectRefused(result, [...expected.map((line) => annotation(line, name)), mappingFailure(expected.length)]);
  });
});

const DEFAULT_CONFIG = '.github/okr-progress.yml';

interface Case {
  name: string;
  files: Record<string, string | null>;
  inputs: Record<string, string>;
  /** The error annotations, in order. */
  errors: (workspace: string) => string[];
}

const notFound = (display: string, looked: string) =>
  `${display}: not found (looked for ${looked}); if the file is in the repository, add a step \`- uses: actions/checkout@v4\` before this action so that the workspace holds it; otherwise add the mapping file there, or set the "config" input to its path (default ${DEFAULT_CONFIG})`;

const UNREADABLE: Case[] = [
  {
    name: 'no mapping file at the default path',
    files: {},
    inputs: LIVE_INPUTS,
    errors: (ws) => [annotation(notFound(DEFAULT_CONFIG, path.join(ws, DEFAULT_CONFIG)), DEFAULT_CONFIG), mappingFailure(1)],
  },
  {
    name: 'no mapping file at the path the config input names',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, config: 'okr/progress.yaml' },
    errors: (ws) => [annotation(notFound('okr/progress.yaml', path.join(ws, 'okr/progress.yaml')), 'okr/progress.yaml'), mappingFailure(1)],
  },
  {
    name: 'the config input names a directory',
    files: { '.github': null },
    inputs: { ...LIVE_INPUTS, config: '.github' },
    errors: () => [
      annotation('.github: is a directory, not a file; set the "config" input to the mapping file\'s path (default .github/okr-progress.yml)', '.github'),
      mappingFailure(1),
    ],
  },
  {
    name: 'a mapping file over 1 MiB',
    files: { [DEFAULT_CONFIG]: `${SAMPLE_MAPPING}${'# padding\n'.repeat(110_000)}` },
    inputs: LIVE_INPUTS,
    errors: () => [
      annotation(
        `${DEFAULT_CONFIG}: is ${Buffer.byteLength(SAMPLE_MAPPING) + 1_100_000} bytes, more than the 1 MiB a mapping file may have; is "config" pointing at the right file?`,
        DEFAULT_CONFIG,
      ),
      mappingFailure(1),
    ],
  },
];

const refusedInput = (message: string) => () => [`::error::${escapeData(message)}`];
const BASE_URL_FIX = 'so that tokens never travel unencrypted; use https://open.feishu.cn or https://open.larksuite.com';

const BAD_INPUTS: Case[] = [
  {
    name: 'as-of that is not a date',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'as-of': 'yesterday' },
    errors: refusedInput('Input as-of: "yesterday" is not an ISO-8601 instant; write it like 2026-11-27T09:00:00Z.'),
  },
  {
    name: 'as-of with a time but no zone',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'as-of': '2026-11-27T09:00:00' },
    errors: refusedInput('Input as-of: "2026-11-27T09:00:00" is not an ISO-8601 instant; write it like 2026-11-27T09:00:00Z.'),
  },
  {
    name: 'as-of on a day that does not exist',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'as-of': '2026-13-45T09:00:00Z' },
    errors: refusedInput('Input as-of: "2026-13-45T09:00:00Z" is not an ISO-8601 instant; write it like 2026-11-27T09:00:00Z.'),
  },
  {
    name: 'as-of on a day the calendar lacks, which Date would roll over to March',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'as-of': '2026-02-30T12:00:00Z' },
    errors: refusedInput('Input as-of: "2026-02-30T12:00:00Z" names no real instant (February 2026 has 28 days); write it like 2026-11-27T09:00:00Z.'),
  },
  {
    name: 'targets naming no target',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, targets: 'Launch v3' },
    errors: refusedInput(
      'Input targets: "Launch v3" names no target of the mapping file; its targets are: Launch v2, Faster everywhere, 7043693679567028999.',
    ),
  },
  {
    name: 'targets naming one known and two unknown targets',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, targets: 'launch v2, perf , 123' },
    errors: refusedInput(
      'Input targets: "perf", "123" names no target of the mapping file; its targets are: Launch v2, Faster everywhere, 7043693679567028999.',
    ),
  },
  {
    name: 'feishu-base-url over plain http',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'feishu-base-url': 'http://open.feishu.cn' },
    errors: refusedInput(
      `feishu-base-url "http://open.feishu.cn" must use https (plain http is allowed only for loopback hosts such as http://127.0.0.1), ${BASE_URL_FIX}`,
    ),
  },
  {
    name: 'feishu-base-url with another scheme',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'feishu-base-url': 'ftp://open.feishu.cn' },
    errors: refusedInput(
      `feishu-base-url "ftp://open.feishu.cn" must use https (plain http is allowed only for loopback hosts such as http://127.0.0.1), ${BASE_URL_FIX}`,
    ),
  },
  {
    name: 'feishu-base-url that is not a URL',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'feishu-base-url': 'open.feishu.cn' },
    errors: refusedInput('feishu-base-url "open.feishu.cn" is not a URL; use https://open.feishu.cn or https://open.larksuite.com'),
  },
  {
    name: 'no Feishu credentials outside dry-run',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { 'as-of': AS_OF },
    errors: refusedInput(
      'Feishu credentials are missing: set the inputs `feishu-app-id: ${{ secrets.FEISHU_APP_ID }}` and `feishu-app-secret: ${{ secrets.FEISHU_APP_SECRET }}` (or feishu-access-token) from the repository secrets FEISHU_APP_ID and FEISHU_APP_SECRET; or run with dry-run: true to only print the payloads.',
    ),
  },
  {
    name: 'an app id without its secret',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { 'feishu-app-id': APP.appId },
    errors: refusedInput(
      'Feishu credentials are incomplete: the input feishu-app-secret is empty. Set it, usually as `feishu-app-secret: ${{ secrets.FEISHU_APP_SECRET }}` (a repository secret that is not set, or is misspelled, reads as empty); or run with dry-run: true to only print the payloads.',
    ),
  },
  {
    name: 'an app secret without its id',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { 'feishu-app-secret': APP.appSecret },
    errors: refusedInput(
      'Feishu credentials are incomplete: the input feishu-app-id is empty. Set it, usually as `feishu-app-id: ${{ secrets.FEISHU_APP_ID }}` (a repository secret that is not set, or is misspelled, reads as empty); or run with dry-run: true to only print the payloads.',
    ),
  },
  {
    name: 'dry-run that is not a boolean',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'dry-run': 'yes' },
    errors: refusedInput('Input dry-run: "yes" is not a boolean; use true or false.'),
  },
  {
    name: 'an empty github-token',
    files: { [DEFAULT_CONFIG]: SAMPLE_MAPPING },
    inputs: { ...LIVE_INPUTS, 'github-token': '' },
    errors: refusedInput('Input github-token is empty; leave it at its default (${{ github.token }}) or pass a token.'),
  },
];

describe('mapping files that cannot be read, run by the bundled action', () => {
  test.each(UNREADABLE.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const ws = await workspaceWith(c.files);
    expectRefused(await action(c.inputs), c.errors(ws));
  });
});

describe('bad inputs, run by the bundled action', () => {
  test.each(BAD_INPUTS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const ws = await workspaceWith(c.files);
    expectRefused(await action(c.inputs), c.errors(ws));
  });
});
