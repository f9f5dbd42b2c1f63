import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APP, AS_OF, GITHUB_TOKEN, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { runnerCommands } from './fixtures/hostile.js';
import { runAction, type ActionResult } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// The app secret, the tenant tokens Feishu hands out, a given access token and the GitHub
// token pass through every run. None may appear in anything a run prints or writes, in dry
// runs, live runs and failed runs alike, except in the ::add-mask:: lines that hide them.

const USER_TOKEN = 'u-userAccessToken0123456789abcdef';
const OTHER_GITHUB_TOKEN = 'ghp_notTheRightToken9876543210';

let github: FakeGitHub;
let feishu: FakeFeishu;
let workspace: string;

beforeEach(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
  feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS, acceptUserToken: USER_TOKEN });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-secrets-'));
  await mkdir(path.join(workspace, '.github'));
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING);
});

afterEach(async () => {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
});

const APP_INPUTS = { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret };

function action(inputs: Record<string, string>, githubToken = GITHUB_TOKEN): Promise<ActionResult> {
  return runAction({
    workspace,
    githubToken,
    inputs: { 'feishu-base-url': feishu.url, 'as-of': AS_OF, ...inputs },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
  });
}

/** Everything the run printed and wrote, but the lines that mask secrets. */
function everything(result: ActionResult): string {
  const printed = `${result.stdout}\n${result.stderr}`.replace(/^::add-mask::.*$/gm, '');
  return [printed, result.summary, ...Object.entries(result.outputs).flat()].join('\n');
}

/** The values the run masked. */
const masked = (result: ActionResult): Set<string> =>
  new Set(runnerCommands(result.stdout).filter((c) => c.name === 'add-mask').map((c) => c.rest.slice(2)));

interface Case {
  name: string;
  inputs: Record<string, string>;
  githubToken?: string;
  /** Set the stage: faults, a broken mapping file. */
  before?: () => Promise<void>;
  code: number;
  /** How many tenant tokens Feishu hands out during the run. */
  tokens: number;
  /** The secrets this run handled and had to mask. */
  secrets: () => string[];
}

const tenantTokens = (): string[] => [...feishu.tokens.keys()];

const CASES: Case[] = [
  {
    name: 'a live run with the app id and secret',
    inputs: APP_INPUTS,
    code: 0,
    tokens: 1,
    secrets: () => [APP.appSecret, GITHUB_TOKEN, ...tenantTokens()],
  },
  {
    name: 'a live run with an access token',
    inputs: { 'feishu-access-token': USER_TOKEN },
    code: 0,
    tokens: 0,
    secrets: () => [USER_TOKEN, GITHUB_TOKEN],
  },
  {
    name: 'a live run whose tenant token expires midway and is fetched again',
    inputs: APP_INPUTS,
    before: async () => {
      feishu.faults.push({ route: 'create', kind: 'expire-token' });
    },
    code: 0,
    tokens: 2,
    secrets: () => [APP.appSecret, GITHUB_TOKEN, ...tenantTokens()],
  },
  {
    name: 'a dry run with credentials (it reads earlier records)',
    inputs: { ...APP_INPUTS, 'dry-run': 'true' },
    code: 0,
    tokens: 1,
    secrets: () => [APP.appSecret, GITHUB_TOKEN, ...tenantTokens()],
  },
  {
    name: 'a dry run without Feishu credentials',
    inputs: { 'dry-run': 'true' },
    code: 0,
    tokens: 0,
    secrets: () => [GITHUB_TOKEN],
  },
  {
    name: 'a failed run: Feishu refuses the app secret',
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': 'wrong-secret-0123456789' },
    code: 1,
    tokens: 0,
    secrets: () => ['wrong-secret-0123456789', GITHUB_TOKEN],
  },
  {
    name: 'a failed run: Feishu refuses the access token',
    inputs: { 'feishu-access-token': 'u-notAcceptedToken0123456789' },
    code: 1,
    tokens: 0,
    secrets: () => ['u-notAcceptedToken0123456789', GITHUB_TOKEN],
  },
  {
    name: 'a failed run: every write fails with a Feishu error',
    inputs: APP_INPUTS,
    before: async () => {
      feishu.faults.push({ route: 'create', times: 100, kind: 'status', status: 400, code: 1001002, msg: 'no permission' });
    },
    code: 1,
    tokens: 1,
    secrets: () => [APP.appSecret, GITHUB_TOKEN, ...tenantTokens()],
  },
  {
    name: 'a failed run: GitHub refuses the token',
    inputs: APP_INPUTS,
    githubToken: OTHER_GITHUB_TOKEN,
    code: 1,
    tokens: 0,
    secrets: () => [APP.appSecret, OTHER_GITHUB_TOKEN, ...tenantTokens()],
  },
  {
    name: 'a failed run: a bad mapping file',
    inputs: APP_INPUTS,
    before: async () => {
      await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING.replace('version: 1', 'version: 2'));
    },
    code: 1,
    tokens: 0,
    secrets: () => [APP.appSecret, GITHUB_TOKEN],
  },
  {
    name: 'a failed run: a bad input after the secrets were read',
    inputs: { ...APP_INPUTS, 'as-of': 'soon' },
    code: 1,
    tokens: 0,
    secrets: () => [APP.appSecret, GITHUB_TOKEN],
  },
];

describe('secrets appear only in ::add-mask:: lines', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await c.before?.();
    const result = await action(c.inputs, c.githubToken);
    expect(result.code).toBe(c.code);
    const secrets = c.secrets();
    expect(tenantTokens()).toHaveLength(c.tokens);
    const output = everything(result);
    const mask = masked(result);
    for (const secret of secrets) {
      expect(mask.has(secret) ? secret : `${secret} was not masked`).toBe(secret);
      expect(output.includes(secret) ? `${secret} was printed` : secret).toBe(secret);
    }
  });

  test('a renewed tenant token is masked too, before it is used', async () => {
    feishu.faults.push({ route: 'create', kind: 'expire-token' });
    const result = await action(APP_INPUTS);
    expect(result.code).toBe(0);
    const tokens = tenantTokens();
    expect(tokens).toHaveLength(2);
    const lines = result.stdout.split('\n');
    for (const token of tokens) expect(lines).toContain(`::add-mask::${token}`);
    expect(everything(result)).not.toContain(tokens[1]!);
  });
});

describe('secrets a server echoes are redacted from outputs, summary and log', () => {
  // Characters that JSON, URLs and HTML each write differently, so that every form shows.
  const SPECIAL_SECRET = `s3cr3t "q" & <b>/x?y=1+2 'z'`;
  const forms = (secret: string): string[] => [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'),
  ];
  const echo = (secret: string): string => forms(secret).join(' | ');

  function expectRedacted(result: ActionResult, secrets: string[]): void {
    const output = everything(result);
    for (const secret of secrets) {
      for (const form of forms(secret)) expect(output.includes(form) ? `${form} was published` : form).toBe(form);
    }
  }

  test('a Feishu msg that echoes the app secret, in every form, and the GitHub token', async () => {
    feishu.apps.push({ appId: 'cli_special0001', appSecret: SPECIAL_SECRET });
    feishu.faults.push({ route: 'create', times: 100, kind: 'status', status: 400, code: 1001001, msg: `bad body from ${echo(SPECIAL_SECRET)} with ${GITHUB_TOKEN}` });
    const result = await action({ 'feishu-app-id': 'cli_special0001', 'feishu-app-secret': SPECIAL_SECRET });
    expect(result.code).toBe(1);
    const records = JSON.parse(result.outputs['records'] ?? '[]') as { error?: string }[];
    expect(records).toHaveLength(3);
    for (const record of records) expect(record.error).toContain('Feishu says: "bad body from *** | *** | *** | *** with ***". ');
    expect(result.summary).toContain('Feishu says: &quot;bad body from *** &#124; *** &#124; *** &#124; *** with ***&quot;.');
    expect(result.stdout).toContain('::error::Launch v2: Feishu refused: invalid parameters (code 1001001). Feishu says: "bad body from *** | *** | *** | *** with ***".');
    expectRedacted(result, [SPECIAL_SECRET, GITHUB_TOKEN]);
  });

  test('a Feishu msg that echoes a given user access token', async () => {
    feishu.faults.push({ route: 'list', times: 100, kind: 'status', status: 400, code: 1001001, msg: `token ${echo(USER_TOKEN)} is odd` });
    const result = await action({ 'feishu-access-token': USER_TOKEN });
    expect(result.code).toBe(1);
    const records = JSON.parse(result.outputs['records'] ?? '[]') as { error?: string }[];
    expect(records).toHaveLength(3);
    for (const record of records) expect(record.error).toContain('Feishu says: "token *** | *** | *** | *** is odd". ');
    expectRedacted(result, [USER_TOKEN, GITHUB_TOKEN]);
  });

  test("a GitHub message that echoes the GitHub token", async () => {
    github.faults.push({ route: 'any', times: 100, kind: 'status', status: 401, message: `Bad credentials: ${echo(GITHUB_TOKEN)}` });
    const result = await action(APP_INPUTS);
    expect(result.code).toBe(1);
    const records = JSON.parse(result.outputs['records'] ?? '[]') as { error?: string }[];
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(record.error).toContain('Bad credentials: ***');
    expectRedacted(result, [GITHUB_TOKEN, APP.appSecret]);
  });
});
