import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { issuesEvent, milestone } from './fixtures/events.js';
import { APP, AS_OF, GITHUB_TOKEN, KR_LAUNCH, OBJ_PERF, SAMPLE_MAPPING, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { runAction } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';
import { checkCard, expectedSign } from './servers/webhook-spec.js';

// The committed bundle on issue events and with a group digest, against the fakes.

const BOT = { token: 'b7c1d2e3-f4a5-6789-0abc-def012345678', secret: 'group-bot-signing-secret' };

let github: FakeGitHub;
let feishu: FakeFeishu;
let workspace: string;

beforeEach(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
  feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS, bots: [{ ...BOT }] });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-e2e-events-'));
  await mkdir(path.join(workspace, '.github'));
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), SAMPLE_MAPPING);
});

afterEach(async () => {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
});

function action(inputs: Record<string, string> = {}, event?: { name: string; payload: unknown }) {
  return runAction({
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF, ...inputs },
    env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url, GITHUB_RUN_ID: '777', GITHUB_RUN_NUMBER: '42', GITHUB_WORKFLOW: 'OKR' },
    event,
  });
}

const webhook = () => `${feishu.url}/open-apis/bot/v2/hook/${BOT.token}`;
const writes = () => feishu.requests.filter((r) => r.path.startsWith('/open-apis/okr/v1/progress_records') && r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

describe('on issue events', () => {
  it('an issue closed in one milestone updates exactly that target\'s record and nothing else', async () => {
    const first = await action();
    expect(first.code).toBe(0);
    const ids = Object.fromEntries((JSON.parse(first.outputs['records']!) as { target_id: string; progress_id: string }[]).map((r) => [r.target_id, r.progress_id]));
    const before = structuredClone([...feishu.records.values()]);
    feishu.requests.length = 0;

    // Issue #3 of milestone v2.0 (no labels) closes.
    const item = github.repos['acme/widgets']!.items.find((i) => i.number === 3)!;
    Object.assign(item, { state: 'closed', state_reason: 'completed', closed_at: '2026-11-27T08:30:00Z', updated_at: '2026-11-27T08:30:00Z' });
    const event = issuesEvent('closed', { number: 3, milestone: milestone(1, 'v2.0'), state: 'closed', author: 'carol' });
    const result = await action({}, { name: 'issues', payload: event });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('The issues.closed event of acme/widgets#3 touches 1 of 3 targets, which run: Launch v2.\n');
    const records = JSON.parse(result.outputs['records']!);
    expect(records).toEqual([
      expect.objectContaining({ name: 'Launch v2', target_id: KR_LAUNCH, percent: 75, done: 6, total: 8, result: 'updated', progress_id: ids[KR_LAUNCH] }),
    ]);
    expect([result.outputs['created'], result.outputs['updated'], result.outputs['failed']]).toEqual(['0', '1', '0']);
    expect(writes()).toEqual([`PUT /open-apis/okr/v1/progress_records/${ids[KR_LAUNCH]}`]);
    expect(feishu.records.size).toBe(3);
    const after = [...feishu.records.values()];
    expect(after.find((r) => r.target_id === KR_LAUNCH)!.progress_rate).toEqual({ percent: 75, status: 0 });
    // The other targets' records are as they were.
    expect(after.filter((r) => r.target_id !== KR_LAUNCH)).toEqual(before.filter((r) => r.target_id !== KR_LAUNCH));
    expect(result.summary).toContain('<p>The issues.closed event of acme/widgets#3 touches 1 of 3 targets, which run: Launch v2.</p>');
  });

  it('an event that touches no target writes nothing, calls nobody and succeeds, saying so', async () => {
    const event = issuesEvent('labeled', { number: 11, labels: ['bug', 'docs'] }, { label: 'docs' });
    const result = await action({ 'feishu-webhook': webhook(), 'feishu-webhook-secret': BOT.secret }, { name: 'issues', payload: event });
    expect(result.code).toBe(0);
    const note = 'The issues.labeled event of acme/widgets#11 touches none of the 3 targets: nothing is written.';
    expect(result.stdout).toContain(`${note}\n`);
    expect(result.outputs).toEqual({ records: '[]', created: '0', updated: '0', failed: '0', error: '' });
    expect(result.summary).toBe(`<h2>OKR progress</h2>\n<p>${note}</p>\n<p>No target was run; nothing was written.</p>\n`);
    expect(feishu.requests).toEqual([]);
    expect(github.requests).toEqual([]);
  });

  it('a label removed from a pull request runs the label\'s targets across milestones', async () => {
    const event = { action: 'unlabeled', number: 9, label: { name: 'okr/perf' }, pull_request: { number: 9, labels: [], milestone: null, user: { login: 'bob' }, assignees: [] }, repository: { full_name: 'acme/widgets' } };
    const result = await action({ 'dry-run': 'true' }, { name: 'pull_request', payload: event });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.outputs['records']!).map((r: { target_id: string }) => r.target_id)).toEqual([OBJ_PERF]);
  });
});

describe('the group digest', () => {
  it('a scheduled run posts exactly one signed card naming every target with its percent and change', async () => {
    const lastWeek = await action({ 'as-of': '2026-11-20T09:00:00Z' });
    expect(lastWeek.code).toBe(0);
    const previous = JSON.parse(lastWeek.outputs['records']!).map((r: { percent: number }) => r.percent);
    expect(previous).toEqual([14.29, 25, 25]);

    const result = await action({ 'feishu-webhook': webhook(), 'feishu-webhook-secret': BOT.secret });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Group digest posted: 3 targets.\n');
    expect(feishu.messages).toHaveLength(1);
    const { body } = feishu.messages[0]!;
    expect(body.sign).toBe(expectedSign(body.timestamp as string, BOT.secret));
    // The fake accepted it, so its timestamp was within the hour Feishu allows.
    expect(checkCard(body.card)).toEqual([]);
    expect(body).toEqual({
      timestamp: expect.any(String),
      sign: expect.any(String),
      msg_type: 'interactive',
      card: {
        config: { wide_screen_mode: true },
        header: { title: { tag: 'plain_text', content: 'OKR progress · 2026-W48' }, template: 'blue' },
        elements: [
          {
            tag: 'markdown',
            content: [
              "**[Launch v2](https://github.com/acme/widgets/milestone/1)** · 62.5% (+48.21 since the last period) · <font color='green'>on track</font>",
              "**[Faster everywhere](https://github.com/acme/widgets/issues?q=label%3A%22okr%2Fperf%22)** · 75% (+50 since the last period) · <font color='green'>on track</font>",
              "**[Q4](https://github.com/acme/gadgets/issues?q=milestone%3A%22Q4%22%20label%3A%22okr%2Fperf%22%2C%22area%3A%20api%22)** · 75% (+50 since the last period) · <font color='grey'>no status</font>",
            ].join('\n'),
          },
          { tag: 'hr' },
          { tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: 'Open the workflow run' }, type: 'primary', url: 'https://github.com/acme/widgets/actions/runs/777' }] },
          { tag: 'note', elements: [{ tag: 'plain_text', content: 'OKR #42 · okr-progress-action' }] },
        ],
      },
    });
    // The webhook address, its token and the secret never reach the log unmasked.
    const log = result.stdout.replace(/^::add-mask::.*$/gm, '');
    for (const secret of [BOT.token, BOT.secret]) expect(log).not.toContain(secret);
    expect(result.stdout).toContain(`::add-mask::${webhook()}\n`);
    expect(result.stdout).toContain(`::add-mask::${BOT.token}\n`);
    expect(result.stdout).toContain(`::add-mask::${BOT.secret}\n`);
  });

  it('a dry run prints the card and posts nothing', async () => {
    const result = await action({ 'dry-run': 'true', 'feishu-webhook': webhook(), 'feishu-webhook-secret': BOT.secret });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('::group::Group digest (dry run: not posted)\n');
    expect(result.stdout).toContain('"content": "OKR progress · 2026-W48"');
    expect(feishu.requests.filter((r) => r.path.includes('/bot/'))).toEqual([]);
    expect(feishu.messages).toEqual([]);
  });

  it('a card that cannot be posted warns with the reason and the fix, and the run succeeds', async () => {
    const result = await action({ 'feishu-webhook': webhook(), 'feishu-webhook-secret': 'an-old-secret' });
    expect(result.code).toBe(0);
    expect(result.outputs['created']).toBe('3');
    expect(result.stdout).toContain(
      "::warning::The group digest was not posted: the signature does not match, or the timestamp is more than an hour from Feishu's clock (code 19021: sign match fail or timestamp is not within one hour from current time). To fix it: set feishu-webhook-secret to the signing secret shown in the bot's security settings (group settings → Bots → the custom bot), or leave it empty if signing is off there; a self-hosted runner's clock must be right. This does not change the run's result.\n",
    );
    expect(feishu.messages).toEqual([]);
  });

  it('a webhook that is not a custom bot\'s address fails the run before any call', async () => {
    const result = await action({ 'feishu-webhook': `https://example.com/open-apis/bot/v2/hook/${BOT.token}` });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error::Input feishu-webhook must be on open.feishu.cn or open.larksuite.com (host example.com is neither)');
    // Masked as a whole before it was checked, and not repeated by the error.
    expect(result.stdout.split('\n').filter((line) => line.includes(BOT.token))).toEqual([`::add-mask::https://example.com/open-apis/bot/v2/hook/${BOT.token}`]);
    expect(feishu.requests).toEqual([]);
    expect(github.requests).toEqual([]);
  });
});
