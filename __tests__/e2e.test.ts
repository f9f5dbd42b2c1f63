import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APP, AS_OF, EXPECTED, GITHUB_TOKEN, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { NODE24, runAction } from './helpers/run-action.js';
import { renderContent } from './helpers/render.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// The committed bundle, run as a runner runs it, against the fake GitHub and fake Feishu.

let github: FakeGitHub;
let feishu: FakeFeishu;
let workspace: string;

beforeEach(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
  feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-e2e-'));
  await mkdir(path.join(workspace, '.github'));
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING);
});

afterEach(async () => {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
});

function action(inputs: Record<string, string> = {}, node?: string) {
  return runAction({
    node,
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF, ...inputs },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url, GITHUB_RUN_ID: '777', GITHUB_RUN_NUMBER: '42', GITHUB_WORKFLOW: 'OKR' },
  });
}

const storedFor = (targetId: string) => [...feishu.records.values()].filter((r) => r.target_id === targetId);

/** The item numbers a record lists as ticked (closed) and unticked (open) boxes, with their links. */
function boxes(content: { blocks: unknown[] }, list: 'checkedBox' | 'checkBox'): { number: number; url: string }[] {
  const found: { number: number; url: string }[] = [];
  for (const block of content.blocks as { paragraph?: { style?: { list?: { type: string } }; elements: { textRun?: { text: string; style?: { link?: { url: string } } } }[] } }[]) {
    if (block.paragraph?.style?.list?.type !== list) continue;
    const first = block.paragraph.elements[0]?.textRun;
    const match = /^#(\d+)$/.exec(first?.text ?? '');
    if (match && first?.style?.link) found.push({ number: Number(match[1]), url: first.style.link.url });
  }
  return found;
}

describe.each([
  ['Node 20', undefined],
  ['Node 24', NODE24],
])('the bundled action under %s', (_label, node) => {
  it('creates one valid record per target with the numbers of the fixture', async () => {
    const result = await action({}, node);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const records = JSON.parse(result.outputs['records']!);
    expect(records).toHaveLength(3);
    EXPECTED.forEach((expected, i) => {
      const { closed: _c, open: _o, ...fields } = expected;
      expect(records[i]).toEqual({ ...fields, progress_id: expect.stringMatching(/^\d{19}$/), result: 'created' });
    });
    expect([result.outputs['created'], result.outputs['updated'], result.outputs['failed']]).toEqual(['3', '0', '0']);

    expect(feishu.records.size).toBe(3);
    for (const [i, expected] of EXPECTED.entries()) {
      const [record] = storedFor(expected.target_id);
      expect(record).toBeDefined();
      expect(record!.progress_id).toBe(records[i].progress_id);
      expect(record!.target_type).toBe(expected.target_type);
      expect(record!.progress_rate).toEqual({ percent: expected.percent, status: expected.status });
      const kind = (n: number) => (SAMPLE_REPOS[expected.repository as keyof typeof SAMPLE_REPOS].items.find((x) => x.number === n)!.kind === 'pull' ? 'pull' : 'issues');
      expect(boxes(record!.content, 'checkedBox')).toEqual(
        expected.closed.map((n) => ({ number: n, url: `https://github.com/${expected.repository}/${kind(n)}/${n}` })),
      );
      expect(boxes(record!.content, 'checkBox').map((b) => b.number)).toEqual([...expected.open]);
      expect(renderContent(record!.content)).toContain(`okr-progress-action · ${expected.repository} · 2026-W48 · OKR #42`);
    }
    expect(storedFor(EXPECTED[0].target_id)[0]!.source_url).toBe('https://github.com/acme/widgets/milestone/1');
    expect(storedFor(EXPECTED[0].target_id)[0]!.source_title).toBe('GitHub · acme/widgets');
    expect(storedFor(EXPECTED[2].target_id)[0]!.source_title).toBe('GitHub · acme/gadgets');

    expect(result.summary).toContain('<td>62.5%</td><td>5 / 8</td><td>4</td><td>on track</td><td>created</td>');
    // The runner hides what ::add-mask:: names; nothing else may print the secret.
    expect(result.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain(APP.appSecret);
  });

  it('a second run in the same week updates the records instead of adding new ones', async () => {
    const first = await action({}, node);
    expect(first.code).toBe(0);
    const ids = JSON.parse(first.outputs['records']!).map((r: { progress_id: string }) => r.progress_id);

    const second = await action({}, node);
    expect(second.code).toBe(0);
    expect([second.outputs['created'], second.outputs['updated'], second.outputs['failed']]).toEqual(['0', '3', '0']);
    expect(JSON.parse(second.outputs['records']!).map((r: { progress_id: string }) => r.progress_id)).toEqual(ids);
    expect(feishu.records.size).toBe(3);
  });
});

describe('the bundled action', () => {
  it('dry-run prints every payload, writes nothing to Feishu and needs no credentials', async () => {
    const result = await runAction({
      workspace,
      githubToken: GITHUB_TOKEN,
      inputs: { 'dry-run': 'true', 'as-of': AS_OF },
      env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
    });
    expect(result.code).toBe(0);
    expect(feishu.requests).toHaveLength(0);
    const records = JSON.parse(result.outputs['records']!);
    expect(records.map((r: { result: string; percent: number }) => [r.result, r.percent])).toEqual([
      ['dry-run', 62.5],
      ['dry-run', 75],
      ['dry-run', 75],
    ]);
    expect(result.stdout).toContain('::group::Launch v2: 62.5%25 (5 of 8), would create a record');
    // Readable in the log: the record as the OKR page shows it, and where the exact body is.
    expect(result.stdout).toContain('\nLaunch v2 — 62.5% · 5 of 8 done, due 2026-12-31 · on track  <https://github.com/acme/widgets/milestone/1>\n');
    expect(result.stdout).toContain('\n  ☑ #4 ~~Drop legacy auth~~ (not planned) — @ou_3bbe8a09c20e89cce9bff989ed840674  <https://github.com/acme/widgets/issues/4>\n');
    expect(result.stdout).toMatch(/^The request body \(JSON\) is in \/.+\/_temp\/okr-record-1-7041430377642082323\.json\.$/m);
    // The JSON itself only in the debug log, on one escaped line.
    expect(result.stdout).not.toMatch(/^\s*"target_id"/m);
    expect(result.stdout).toMatch(new RegExp(`^::debug::Launch v2: request body \\{%0A  "source_title".*"target_id": "${EXPECTED[0].target_id}"`, 'm'));
    expect(result.summary).toContain('dry run');
  });

  it('two targets on the same key result and repository keep a record each, run after run', async () => {
    await writeFile(
      path.join(workspace, '.github/okr-progress.yml'),
      `version: 1\ntargets:\n  - key_result: "${EXPECTED[0].target_id}"\n    milestone: v2.0\n  - key_result: "${EXPECTED[0].target_id}"\n    labels: [docs]\n`,
    );
    const first = await action();
    expect(first.code).toBe(0);
    const firstRecords = JSON.parse(first.outputs['records']!);
    expect(firstRecords.map((r: { name: string; result: string; percent: number }) => [r.name, r.result, r.percent])).toEqual([
      ['v2.0', 'created', 62.5],
      ['docs', 'created', 0],
    ]);
    const second = await action();
    const secondRecords = JSON.parse(second.outputs['records']!);
    expect(secondRecords.map((r: { result: string }) => r.result)).toEqual(['updated', 'updated']);
    expect(secondRecords.map((r: { progress_id: string }) => r.progress_id)).toEqual(firstRecords.map((r: { progress_id: string }) => r.progress_id));
    expect(feishu.records.size).toBe(2);
    expect(feishu.records.get(firstRecords[1].progress_id)!.progress_rate).toEqual({ percent: 0, status: -1 });
  });

  it('the targets input runs only the named targets', async () => {
    const result = await action({ targets: 'Faster everywhere' });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.outputs['records']!).map((r: { name: string }) => r.name)).toEqual(['Faster everywhere']);
    expect(feishu.records.size).toBe(1);
  });

  it('a bad mapping file fails before any API call, with file:line:col messages', async () => {
    await writeFile(
      path.join(workspace, '.github/okr-progress.yml'),
      'version: 1\ntargets:\n  - key_result: "7041430377642082323"\n    objective: "7043693679567028244"\n    milestone: v2.0\n  - key_result: "7041430377642082323"\n    window: 7x\n',
    );
    const result = await action();
    expect(result.code).toBe(1);
    expect(github.requests).toHaveLength(0);
    expect(feishu.requests).toHaveLength(0);
    expect(result.stdout).toContain(
      '::error file=.github/okr-progress.yml,line=4,col=16::.github/okr-progress.yml:4:16 targets[0].objective: set exactly one of key_result (a key result, type 3) or objective (type 2), not both\n',
    );
    expect(result.stdout).toContain('::error file=.github/okr-progress.yml,line=6,col=5::.github/okr-progress.yml:6:5 targets[1]: set milestone');
    expect(result.stdout).toContain('::error file=.github/okr-progress.yml,line=7,col=13::.github/okr-progress.yml:7:13 targets[1].window: must be');
    expect(result.stdout).toContain('::error::The mapping file has 3 problems (listed above); nothing was sent to GitHub or Feishu.');
  });

  it('a failing target does not stop the others; the run fails at the end and says which', async () => {
    await writeFile(
      path.join(workspace, '.github/okr-progress.yml'),
      SAMPLE_MAPPING.replace('milestone: "v2.0"', 'milestone: "v2"'),
    );
    const result = await action();
    expect(result.code).toBe(1);
    const records = JSON.parse(result.outputs['records']!);
    expect(records.map((r: { result: string }) => r.result)).toEqual(['failed', 'created', 'created']);
    expect(records[0].error).toBe('.github/okr-progress.yml:11:16 targets[0].milestone: milestone "v2" does not exist in acme/widgets; did you mean "v2.0"?');
    expect(result.outputs['failed']).toBe('1');
    expect(feishu.records.size).toBe(2);
    expect(result.stdout).toContain('::error::1 of 3 targets failed: Launch v2.');
  });

  it('a label GitHub lacks names the labels the repository has', async () => {
    await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING.replace('labels: [okr/perf]', 'labels: [performance-work]'));
    const result = await action();
    expect(result.code).toBe(1);
    expect(JSON.parse(result.outputs['records']!)[1].error).toBe(
      '.github/okr-progress.yml:14:13 targets[1].labels: label "performance-work" does not exist in acme/widgets; it has "bug", "okr/perf", "area: api", "docs"',
    );
  });
});
