import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APP, AS_OF, EXPECTED, GITHUB_TOKEN, KR_LAUNCH, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { runAction, type ActionResult } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// The bundled action writes every output on every exit path, as read back from
// GITHUB_OUTPUT: `failed` is never 0 when the step fails, and `error` says why.

let github: FakeGitHub;
let feishu: FakeFeishu;
let root: string;
let workspace: string;

beforeEach(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
  feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
  root = await mkdtemp(path.join(os.tmpdir(), 'okr-outputs-'));
  workspace = path.join(root, 'repo');
  await mkdir(path.join(workspace, '.github'), { recursive: true });
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING);
});

afterEach(async () => {
  await Promise.all([github.close(), feishu.close()]);
  await rm(root, { recursive: true, force: true });
});

function action(inputs: Record<string, string> = {}): Promise<ActionResult> {
  return runAction({
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF, ...inputs },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
  });
}

/** A run that stopped before any target: exit 1, no request sent, the five outputs exactly. */
function expectStopped(result: ActionResult, error: string): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toBe('');
  expect(result.outputs).toStrictEqual({ records: '[]', created: '0', updated: '0', failed: '1', error });
  expect(github.requests).toEqual([]);
  expect(feishu.requests).toEqual([]);
  expect(feishu.records.size).toBe(0);
}

describe('every output on every exit path', () => {
  it('a successful run: the records, the counts, and an empty error', async () => {
    const result = await action();
    expect(result.code).toBe(0);
    expect(Object.keys(result.outputs).sort()).toEqual(['created', 'error', 'failed', 'records', 'updated']);
    expect({ ...result.outputs, records: JSON.parse(result.outputs['records']!) }).toStrictEqual({
      records: EXPECTED.map(({ closed: _c, open: _o, ...fields }) => ({ ...fields, progress_id: expect.stringMatching(/^\d{19}$/), result: 'created' })),
      created: '3',
      updated: '0',
      failed: '0',
      error: '',
    });
    expect(feishu.records.size).toBe(3);
  });

  it('a bad input: failed 1, records [], and the reason in error and in the summary', async () => {
    const reason = 'Input as-of: "2026-02-30T12:00:00Z" names no real instant (February 2026 has 28 days); write it like 2026-11-27T09:00:00Z.';
    const result = await action({ 'as-of': '2026-02-30T12:00:00Z' });
    expectStopped(result, reason);
    expect(result.stdout).toContain(`::error::${reason}\n`);
    expect(result.summary).toBe(
      '<h2>OKR progress</h2>\n<p><b>No target was run.</b></p>\n' +
        '<p>Input as-of: &quot;2026-02-30T12:00:00Z&quot; names no real instant (February 2026 has 28 days); write it like 2026-11-27T09:00:00Z.</p>\n',
    );
  });

  it('a bad mapping file: failed 1, records [], error and summary list every problem', async () => {
    await writeFile(
      path.join(workspace, '.github/okr-progress.yml'),
      'version: 1\ntargets:\n  - key_result: "7041430377642082323"\n    milestone: v2.0\n    due: 2026-02-30\n  - key_result: "7041430377642082323"\n    milestone: v2.0\n    window: 7x\n',
    );
    const problems = [
      '.github/okr-progress.yml:5:10 targets[0].due: must be an ISO-8601 date such as 2026-12-31 (or an instant such as 2026-12-31T18:00:00Z), not "2026-02-30"',
      '.github/okr-progress.yml:8:13 targets[1].window: must be <N>d, <N>w (such as 7d or 2w), since-last-record, or an ISO-8601 date or instant such as 2026-11-01, not "7x"',
    ];
    const result = await action();
    expectStopped(result, ['The mapping file has 2 problems; nothing was sent to GitHub or Feishu.', ...problems].join('\n'));
    expect(result.summary).toBe(
      [
        '<h2>OKR progress</h2>',
        '<p><b>No target was run.</b></p>',
        '<p>The mapping file has 2 problems; nothing was sent to GitHub or Feishu.</p>',
        `<ul>${problems.map((p) => `<li>${p.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</li>`).join('')}</ul>`,
        '',
      ].join('\n'),
    );
  });

  it('a failed target: its record, failed 1, and which targets failed in error', async () => {
    await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING.replace('milestone: "v2.0"', 'milestone: "v2"'));
    const result = await action();
    expect(result.code).toBe(1);
    expect(JSON.parse(result.outputs['records']!).map((r: { result: string }) => r.result)).toEqual(['failed', 'created', 'created']);
    expect([result.outputs['created'], result.outputs['updated'], result.outputs['failed'], result.outputs['error']]).toEqual([
      '2',
      '0',
      '1',
      '1 of 3 targets failed: Launch v2.',
    ]);
  });
});

describe('the mapping file stays inside the workspace', () => {
  it('a committed link to a file of the runner is refused, and none of the file is shown', async () => {
    const secret = 'RUNNER_SECRET_LINE: 8f14e45fceea167a5a36dedd4bea2543';
    await writeFile(path.join(root, 'runner-file.yml'), `${SAMPLE_MAPPING}\n${secret}: [\n`);
    await rm(path.join(workspace, '.github/okr-progress.yml'));
    await symlink('../../runner-file.yml', path.join(workspace, '.github/okr-progress.yml'));
    const reason = `Input config: ".github/okr-progress.yml" resolves to ${root}/runner-file.yml, outside the workspace ${workspace}; the mapping file must be a regular file inside GITHUB_WORKSPACE (symbolic links are followed).`;
    const result = await action();
    expectStopped(result, reason);
    expect(result.stdout).toContain(`::error::${reason}\n`);
    for (const shown of [result.stdout, result.summary, ...Object.values(result.outputs)]) {
      expect(shown).not.toContain('8f14e45f');
      expect(shown).not.toContain('Launch v2');
    }
  });
});

describe('the due date a target gives', () => {
  it("wins over the milestone's due date, and the summary says which one was used", async () => {
    // Launch v2's milestone is due 2026-12-31; the target says 2026-11-20, a week before as-of.
    await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING.replace('milestone: "v2.0"\n', 'milestone: "v2.0"\n    due: 2026-11-20\n'));
    const result = await action({ targets: 'Launch v2' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.outputs['records']!)[0]).toMatchObject({ name: 'Launch v2', percent: 62.5, status: 2, result: 'created' });
    const [record] = [...feishu.records.values()].filter((r) => r.target_id === KR_LAUNCH);
    expect(record!.progress_rate).toEqual({ percent: 62.5, status: 2 });
    expect(result.summary).toContain("<br>Due: 2026-11-20 (the target's <code>due</code>, used instead of the milestone's due date 2026-12-31)<br>");
  });
});
