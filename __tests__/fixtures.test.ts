import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateFixture, LARGE, SMALL, type Fixture, type FixtureSize } from './fixtures/generate.js';
import { runAction } from './helpers/run-action.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// The benchmark's generated fixtures: the same seed gives the same data, and the numbers the
// generator works out by itself are the ones the bundled action reports.

const TOKEN = 'ghs_fixtureToken0123456789';
/** Small, but with a target of every kind (include, progress, window) on two repositories. */
const MIXED: FixtureSize = { items: 600, targets: 8, repositories: 2, seed: 3 };

describe('generateFixture', () => {
  it('gives the same fixture for the same seed and another for another seed', () => {
    expect(generateFixture(SMALL)).toEqual(generateFixture(SMALL));
    expect(generateFixture({ ...SMALL, seed: SMALL.seed + 1 }).repos).not.toEqual(generateFixture(SMALL).repos);
  });

  it('has the sizes the benchmark names', () => {
    const small = generateFixture(SMALL);
    expect(Object.values(small.repos).map((r) => r.items.length)).toEqual([100]);
    expect(small.expected).toHaveLength(3);
    const large = generateFixture(LARGE);
    expect(Object.keys(large.repos)).toEqual(['acme/repo-1', 'acme/repo-2']);
    expect(Object.values(large.repos).map((r) => r.items.length)).toEqual([5000, 5000]);
    expect(large.expected).toHaveLength(40);
    expect(large.okrs.objectives).toHaveLength(20);
    expect(large.okrs.keyResults).toHaveLength(20);
  });

  it('works out the small fixture to these numbers', () => {
    expect(generateFixture(SMALL).expected).toEqual([
      { name: 'Target 1', target_id: '7041430377604200000', target_type: 3, repository: 'acme/repo-1', percent: 61.11, status: 2, done: 22, total: 36, unit: 'items', closed_in_window: 0 },
      { name: 'Target 2', target_id: '7041430377604200001', target_type: 2, repository: 'acme/repo-1', percent: 62.5, status: 0, done: 25, total: 40, unit: 'items', closed_in_window: 2 },
      { name: 'Target 3', target_id: '7041430377604200002', target_type: 3, repository: 'acme/repo-1', percent: 56.25, status: -1, done: 18, total: 32, unit: 'items', closed_in_window: 1 },
    ]);
  });

  it('the mixed fixture has targets of every kind', () => {
    const { mapping } = generateFixture(MIXED);
    for (const setting of ['milestone:', 'labels:', 'include: issues', 'include: pulls', 'progress: completed', 'window: 14d', 'repository: acme/repo-2']) {
      expect(mapping).toContain(setting);
    }
  });
});

describe('the bundled action on generated fixtures', () => {
  let github: FakeGitHub | undefined;
  let workspace: string | undefined;

  afterEach(async () => {
    await github?.close();
    if (workspace) await rm(workspace, { recursive: true, force: true });
    github = undefined;
    workspace = undefined;
  });

  async function dryRun(fixture: Fixture) {
    github = await startFakeGitHub({ token: TOKEN, repos: fixture.repos });
    workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-fixture-'));
    await mkdir(path.join(workspace, '.github'));
    await writeFile(path.join(workspace, '.github/okr-progress.yml'), fixture.mapping);
    return runAction({
      workspace,
      githubToken: TOKEN,
      inputs: { 'dry-run': 'true', 'as-of': fixture.asOf },
      env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/repo-1' },
    });
  }

  it.each<[string, FixtureSize]>([
    ['small', SMALL],
    ['mixed', MIXED],
  ])('reports the generator’s numbers for the %s fixture', async (_name, size) => {
    const fixture = generateFixture(size);
    const result = await dryRun(fixture);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.outputs['records']!)).toEqual(fixture.expected.map((truth) => ({ ...truth, progress_id: null, result: 'dry-run' })));
  });
});
