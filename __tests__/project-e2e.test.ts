import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_REPOS, PROJECT_TOKEN, PROJECTS } from './fixtures/project.js';
import { APP, KR_GADGETS, KR_LAUNCH, OBJ_PERF, SAMPLE_OKRS } from './fixtures/sample.js';
import { renderContent } from './helpers/render.js';
import { runAction, type ActionResult } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// The committed bundle (npm run bundle first) with project targets, against the fake GitHub's
// projects and the fake Feishu. The window starts at a fixed instant so that the hand counts
// of __tests__/fixtures/project.ts hold whatever the day; a project is always read as it is now.

const MAPPING = `version: 1
defaults:
  window: 2026-11-13T09:00:00Z
  status: none
targets:
  - name: Roadmap
    key_result: "${KR_LAUNCH}"
    project: {owner: acme, number: 5}
  - name: Sprint 2 points
    key_result: "${KR_GADGETS}"
    project: {owner: acme, number: 5}
    iteration: Sprint 2
    estimate_field: Estimate
  - objective: "${OBJ_PERF}"
    project: {owner: alice, number: 2}
  - objective: "7043693679567020001"
    project:
      owner: acme
      number: 7
`;

let github: FakeGitHub;
let feishu: FakeFeishu;
let workspace: string;
let result: ActionResult;

beforeAll(async () => {
  github = await startFakeGitHub({ token: PROJECT_TOKEN, repos: structuredClone(PROJECT_REPOS), projects: PROJECTS });
  feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-project-e2e-'));
  await mkdir(path.join(workspace, '.github'));
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), MAPPING);
  result = await runAction({
    workspace,
    githubToken: PROJECT_TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url, GITHUB_RUN_ID: '777', GITHUB_RUN_NUMBER: '42', GITHUB_WORKFLOW: 'OKR' },
  });
});

afterAll(async () => {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
});

const storedFor = (targetId: string) => [...feishu.records.values()].filter((r) => r.target_id === targetId);

describe('project targets through the bundled action', () => {
  it('write records with the hand counts, and fail the project the token may not read', () => {
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const records = JSON.parse(result.outputs['records']!) as Record<string, unknown>[];
    expect(records.map((r) => [r['name'], r['percent'], r['done'], r['total'], r['closed_in_window'], r['result']])).toEqual([
      ['Roadmap', 63.64, 7, 11, 6, 'created'],
      ['Sprint 2 points', 47.62, 10, 21, 4, 'created'],
      ['Side quests', 24.4, 61, 250, 0, 'created'],
      ['acme project 7', null, null, null, null, 'failed'],
    ]);
    expect(records[3]!['error']).toMatch(
      /^\.github\/okr-progress\.yml:18:7 targets\[3\]\.project: GitHub refused to show acme project 7 \(FORBIDDEN: Resource not accessible by integration\)\. The token needs read:project: the default GITHUB_TOKEN cannot read organisation projects\./,
    );
    expect([result.outputs['created'], result.outputs['failed']]).toEqual(['3', '1']);
    // One query per 100 items: 1 + 1 + 3, and the refused one.
    expect(github.requests.filter((r) => r.path === '/graphql')).toHaveLength(6);
    expect(github.requests.filter((r) => r.path !== '/graphql')).toEqual([]);
  });

  it('list draft issues by title without a link, and count points in the headline', () => {
    const [roadmap] = storedFor(KR_LAUNCH);
    expect(roadmap!.source_title).toBe('GitHub · acme project 5');
    expect(roadmap!.source_url).toBe('https://github.com/orgs/acme/projects/5');
    expect(renderContent(roadmap!.content).split('\n').slice(0, 8)).toEqual([
      'Roadmap — 63.64% · 7 of 11 done · no status',
      'Closed since 2026-11-13 (6)',
      '  ☑ #6 Onboarding tour — @carol',
      '  ☑ acme/gadgets#2 Gadget sync — @erin',
      '  ☑ #3 Fix cache (pull request) — @bob',
      '  ☑ #5~~ Old idea~~ (not planned) — @alice',
      '  ☑ #1 Login page — @alice',
      '  ☑ Write launch blog post (draft) — @dave',
    ]);
    const [points] = storedFor(KR_GADGETS);
    expect(renderContent(points!.content).split('\n')[0]).toBe('Sprint 2 points — 47.62% · 10 of 21 points, due 2026-11-29 · no status');
    expect(points!.progress_rate).toEqual({ percent: 47.62, status: -1 });
    expect(result.summary).toContain('<li>☑ Write launch blog post (draft) — &#64;&#8288;dave</li>');
    expect(result.summary).toContain('<td>47.62%</td><td>10 / 21 points</td><td>4</td>');
    expect(result.summary).toContain("Due: 2026-11-29 (the last day of the project's iteration)");
  });
});
