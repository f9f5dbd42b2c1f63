import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KINDS_AS_OF, KINDS_EXPECTED, KINDS_FILES, KINDS_METRICS, KINDS_REPOS, KR, kindsMapping, type KindTruth } from './fixtures/kinds.js';
import { runAction } from './helpers/run-action.js';
import { renderContent } from './helpers/render.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { shiftRepos, startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// The bundled action writes every kind of key result: the hand-counted numbers, the ticked
// boxes of the items closed in the window, and the two bad targets failing alone.

const TOKEN = 'ghs_kindsE2eToken0123456789';
const APP = { appId: 'cli_kinds0123456789', appSecret: 'kinds-app-secret' };
let github: FakeGitHub;
let feishu: FakeFeishu;
let workspace: string;

async function setUp(shiftMs: number): Promise<void> {
  github = await startFakeGitHub({ token: TOKEN, repos: shiftRepos(structuredClone(KINDS_REPOS), shiftMs), now: new Date(Date.parse(KINDS_AS_OF) + shiftMs).toISOString() });
  feishu = await startFakeFeishu({ apps: [APP], okrs: { objectives: [], keyResults: KINDS_EXPECTED.map((_, i) => KR(i)) } });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-kinds-e2e-'));
  await mkdir(path.join(workspace, '.github'));
  const start = new Date(Date.parse('2026-10-01T00:00:00Z') + shiftMs).toISOString().replace('.000Z', 'Z');
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), kindsMapping(start));
  for (const [file, text] of Object.entries(KINDS_FILES)) {
    await mkdir(path.dirname(path.join(workspace, file)), { recursive: true });
    await writeFile(path.join(workspace, file), text);
  }
}

afterEach(async () => {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
});

const run = (inputs: Record<string, string>) =>
  runAction({
    workspace,
    githubToken: TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, metrics: KINDS_METRICS, ...inputs },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url, GITHUB_RUN_ID: '777', GITHUB_RUN_NUMBER: '42', GITHUB_WORKFLOW: 'OKR' },
  });

/** The items a stored record lists as ticked boxes: their link text. */
function ticked(content: { blocks: unknown[] }): string[] {
  return renderContent(content as never)
    .split('\n')
    .filter((line) => line.startsWith('  ☑ '))
    .map((line) => line.slice(4).split(' ')[0]!.replace(/~~$/, ''));
}

async function expectEveryKind(inputs: Record<string, string>): Promise<void> {
  const result = await run(inputs);
  expect(result.code).toBe(1);
  const records = JSON.parse(result.outputs['records']!) as Record<string, unknown>[];
  expect(records.map((r) => r['result'])).toEqual(['created', 'created', 'created', 'created', 'created', 'created', 'created', 'created', 'failed', 'failed']);
  KINDS_EXPECTED.forEach((truth, i) => {
    if ('error' in truth) return;
    expect(records[i]).toMatchObject({ name: truth.name, percent: truth.percent, done: truth.done, total: truth.total, unit: truth.unit, closed_in_window: truth.closed.length });
    const [stored] = [...feishu.records.values()].filter((r) => r.target_id === KR(i));
    expect(stored!.progress_rate?.percent).toBe(truth.percent);
    // #n in the target's repository, owner/name#n in another one.
    expect(ticked(stored!.content)).toEqual((truth as KindTruth).closed.map((ref) => (ref.startsWith('acme/widgets#') ? ref.slice('acme/widgets'.length) : ref)));
  });
  expect(records[8]!['error']).toBe(
    'metric mutation: the metrics input has no line mutation=<number>; add one, such as mutation=${{ steps.<id>.outputs.<name> }}'.replace(/^/, '.github/okr-progress.yml:41:13 targets[8].metric: '),
  );
  expect(records[9]!['error']).toBe(
    '.github/okr-progress.yml:44:12 targets[9].query: The listed users and repositories cannot be searched either because the resources do not exist or you do not have permission to view them.',
  );
  expect(result.outputs['failed']).toBe('2');
  expect(result.summary).toContain('<td>23 / 25 points</td>');
  expect(result.summary).toContain('<td>6 of 10 closed since ');
  expect(result.summary).toContain('<td>72.4 % (start 60 %, target 80 %)</td>');
  expect(result.summary).toContain('read from the metrics input, line 1');
}

describe('the bundled action writes every kind of key result', () => {
  beforeEach(() => undefined);

  it('for a back-fill (as-of): listed over REST search', async () => {
    await setUp(0);
    await expectEveryKind({ 'as-of': KINDS_AS_OF });
    expect(github.requests.filter((r) => r.path === '/graphql')).toHaveLength(0);
  });

  it('about the present: counted with GraphQL', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    await setUp(now - Date.parse(KINDS_AS_OF));
    await expectEveryKind({});
    expect(github.requests.filter((r) => r.path === '/search/issues')).toHaveLength(0);
    expect(github.requests.length).toBeLessThanOrEqual(4);
  });

  it('a bad metrics line fails the run before any request, naming the line', async () => {
    await setUp(0);
    const result = await run({ metrics: 'coverage=72.4\np95=fast\n', 'as-of': KINDS_AS_OF });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error::Input metrics, line 2 ("p95=fast"): "fast" is not a number; write it like p95=72.4 (no unit).');
    expect(github.requests).toHaveLength(0);
    expect(feishu.requests).toHaveLength(0);
  });
});
