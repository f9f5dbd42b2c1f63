import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseMappingDocument } from '../src/config/load.js';
import { toObjectives } from '../src/feishu/okrs.js';
import { currentPeriods, parseUsers } from '../src/list-okrs.js';
import { closestSelectable, starterMapping, type Selectable } from '../src/okrs/starter.js';
import { FeishuClient } from '../src/feishu/client.js';
import { explainFeishuError } from '../src/feishu/errors.js';
import { ALICE, BOB, PERIODS, Q3, Q4 } from './fixtures/okrs.js';
import { APP, AS_OF, GITHUB_TOKEN, SAMPLE_OKRS, SAMPLE_REPOS } from './fixtures/sample.js';
import { runAction } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

/** What the action printed between ::stop-commands:: and its end token (the runner shows it as plain text). */
function shielded(stdout: string): string {
  const match = /^::stop-commands::(\S+)\n([\s\S]*?)\n::\1::$/m.exec(stdout);
  if (!match) throw new Error(`nothing printed inside stop-commands:\n${stdout}`);
  return match[2]!;
}

const SELECTABLES: Selectable[] = [
  { kind: 'milestone', title: 'v2.0' },
  { kind: 'label', title: 'bug' },
  { kind: 'label', title: 'okr/perf' },
  { kind: 'label', title: 'area: api' },
  { kind: 'label', title: 'docs' },
];

const objectivesOf = (user: typeof ALICE) =>
  user.okrs
    .filter((o) => o.periodId === Q4)
    .flatMap((o) => toObjectives([{ id: o.id, objective_list: o.objectives.map((x) => ({ id: x.id, content: x.content, kr_list: x.keyResults })) }]));

/** The starter mapping file the fixture's OKRs give, as the summary and the log show it. */
const STARTER_FILE = [
  "# yaml-language-server: $schema=https://raw.githubusercontent.com/org/okr-progress-action/v1/schema/okr-progress.schema.json",
  "# Starter mapping for acme/widgets from the OKRs of Oct - Dec 2026 (made by list-okrs).",
  "# Each key result is paired with the open milestone or label of the repository whose title it names;",
  "# check each pairing, finish the commented ones, and save the file as .github/okr-progress.yml.",
  "version: 1",
  "# people:                 # GitHub login → Feishu open_id, to @mention authors in the records",
  "#   your-github-login: ou_a11ce0000000000000000000000001   # alice@acme.com",
  "#   your-github-login: ou_b0b00000000000000000000000000002",
  "targets:",
  "  # alice@acme.com · objective 7043693679567028244: Ship v2 to every customer",
  "  - name: Close all v2.0 issues",
  "    key_result: \"7041430377642082323\"",
  "    milestone: v2.0",
  "  - name: Cut p99 latency in half (okr/perf)",
  "    key_result: \"7041430377642082324\"",
  "    labels: [okr/perf]",
  "  # - name: Raise NPS to 40",
  "  #   key_result: \"7041430377642082325\"",
  "  #   (nothing close among the open milestones and labels of acme/widgets: add milestone: or labels:)",
  "  # ou_b0b00000000000000000000000000002 · objective 7043693679567020001: Docs people enjoy",
  "  - name: Rewrite the docs site",
  "    key_result: \"7041430377642082326\"",
  "    labels: [docs]",
];

describe('closestSelectable', () => {
  it.each([
    ['Close all v1.0 issues', [{ kind: 'milestone', title: 'v1.0' }, { kind: 'milestone', title: 'v1.1' }], 'v1.0'],
    ['Close all v2.0 issues', SELECTABLES, 'v2.0'],
    ['Cut p99 latency in half (okr/perf)', SELECTABLES, 'okr/perf'],
    ['Fix the API bugs', SELECTABLES, 'bug'],
    ['Rewrite the docs site', SELECTABLES, 'docs'],
    ['Improve the area: API latency', SELECTABLES, 'area: api'],
    ['发布 v2.0 版本', SELECTABLES, 'v2.0'],
    ['Ship the Perfomance work', [{ kind: 'label', title: 'performance' }], 'performance'],
  ] as [string, Selectable[], string][])('%s → %s', (text, candidates, title) => {
    expect(closestSelectable(text, candidates)?.title).toBe(title);
  });

  it.each([
    ['Raise NPS to 40', SELECTABLES],
    ['Close all v20 issues', SELECTABLES],
    ['Debug the docstrings', SELECTABLES],
  ] as [string, Selectable[]][])('pairs nothing with %s', (text, candidates) => {
    expect(closestSelectable(text, candidates)).toBeUndefined();
  });

  it('prefers the longer title, then a milestone over a label of the same title', () => {
    expect(closestSelectable('The v2.0 docs', [{ kind: 'label', title: 'docs' }, { kind: 'milestone', title: 'v2.0 docs' }])?.title).toBe('v2.0 docs');
    expect(closestSelectable('All of v2.0', [{ kind: 'label', title: 'v2.0' }, { kind: 'milestone', title: 'v2.0' }])).toEqual({ kind: 'milestone', title: 'v2.0' });
  });
});

describe('starterMapping', () => {
  const users = [
    { input: 'alice@acme.com', id: ALICE.openId, objectives: objectivesOf(ALICE) },
    { input: 'bob02', id: 'bob02', objectives: objectivesOf(BOB) },
  ];
  const starter = starterMapping({ repository: 'acme/widgets', periodName: 'Oct - Dec 2026', users, selectables: SELECTABLES });

  it('pairs each key result with the milestone or label it names, and comments out the rest', () => {
    expect(starter).toBe(
      [
      '# yaml-language-server: $schema=https://raw.githubusercontent.com/org/okr-progress-action/v1/schema/okr-progress.schema.json',
      '# Starter mapping for acme/widgets from the OKRs of Oct - Dec 2026 (made by list-okrs).',
      '# Each key result is paired with the open milestone or label of the repository whose title it names;',
      '# check each pairing, finish the commented ones, and save the file as .github/okr-progress.yml.',
      'version: 1',
      '# people:                 # GitHub login → Feishu open_id, to @mention authors in the records',
      '#   your-github-login: ou_a11ce0000000000000000000000001   # alice@acme.com',
      'targets:',
      '  # alice@acme.com · objective 7043693679567028244: Ship v2 to every customer',
      '  - name: Close all v2.0 issues',
      '    key_result: "7041430377642082323"',
      '    milestone: v2.0',
      '  - name: Cut p99 latency in half (okr/perf)',
      '    key_result: "7041430377642082324"',
      '    labels: [okr/perf]',
      '  # - name: Raise NPS to 40',
      '  #   key_result: "7041430377642082325"',
      '  #   (nothing close among the open milestones and labels of acme/widgets: add milestone: or labels:)',
      '  # bob02 · objective 7043693679567020001: Docs people enjoy',
      '  - name: Rewrite the docs site',
      '    key_result: "7041430377642082326"',
      '    labels: [docs]',
      '',
    ].join('\n'),
    );
  });

  it("passes the action's own mapping parser", () => {
    const { mapping } = parseMappingDocument(starter, '.github/okr-progress.yml');
    expect(mapping.targets).toEqual([
      { name: 'Close all v2.0 issues', key_result: '7041430377642082323', milestone: 'v2.0' },
      { name: 'Cut p99 latency in half (okr/perf)', key_result: '7041430377642082324', labels: ['okr/perf'] },
      { name: 'Rewrite the docs site', key_result: '7041430377642082326', labels: ['docs'] },
    ]);
  });

  it('says so when nothing could be paired, and gives objectives without key results a target of their own', () => {
    const text = starterMapping({
      repository: 'acme/widgets',
      periodName: 'Q4',
      users: [{ input: 'ou_x1', id: 'ou_x1', objectives: [{ id: '7043693679567020009', content: 'Be: "kind"', keyResults: [] }] }],
      selectables: [],
    });
    expect(text.split('\n').slice(4)).toEqual([
      'version: 1',
      '# people:                 # GitHub login → Feishu open_id, to @mention authors in the records',
      '#   your-github-login: ou_x1',
      'targets:',
      '  # ou_x1 · objective 7043693679567020009: Be: "kind"',
      '  # - name: \'Be: "kind"\'',
      '  #   objective: "7043693679567020009"',
      '  #   (nothing close among the open milestones and labels of acme/widgets: add milestone: or labels:)',
      '  # No key result names an open milestone or label: uncomment a target above and add its milestone or labels.',
      '',
    ]);
  });
});

describe('list-okrs input', () => {
  it('tells emails, open_ids and user_ids apart and drops repeats', () => {
    expect(parseUsers(['alice@acme.com', 'ou_b0b', 'carol03', 'Alice@acme.com'])).toEqual([
      { input: 'alice@acme.com', kind: 'email' },
      { input: 'ou_b0b', kind: 'open_id' },
      { input: 'carol03', kind: 'user_id' },
    ]);
  });

  it('takes the periods that hold now, leaving out invalid and hidden ones', () => {
    const period = (id: string, start: string, end: string, status: number) => ({ id, zhName: '', enName: id, status, start: new Date(start), end: new Date(end) });
    const periods = [
      period('q3', '2026-07-01', '2026-10-01', 0),
      period('q4', '2026-10-01', '2027-01-01', 0),
      period('q4-hidden', '2026-10-01', '2027-01-01', 3),
      period('q4-invalid', '2026-10-01', '2027-01-01', 2),
    ];
    expect(currentPeriods(periods, new Date('2026-11-27T09:00:00Z')).map((p) => p.id)).toEqual(['q4']);
    expect(currentPeriods(periods, new Date('2026-10-01T00:00:00Z')).map((p) => p.id)).toEqual(['q4']);
    expect(currentPeriods(periods, new Date('2027-01-01T00:00:00Z'))).toEqual([]);
  });
});

describe('the bundled action with list-okrs', () => {
  let github: FakeGitHub;
  let feishu: FakeFeishu;
  let workspace: string;

  beforeEach(async () => {
    github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: structuredClone(SAMPLE_REPOS) });
    feishu = await startFakeFeishu({ apps: [APP], okrs: SAMPLE_OKRS, periods: PERIODS, users: [ALICE, BOB] });
    // No mapping file: a listing needs none.
    workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-list-'));
  });

  afterEach(async () => {
    await Promise.all([github.close(), feishu.close()]);
    await rm(workspace, { recursive: true, force: true });
  });

  const action = async (inputs: Record<string, string>) => {
    const r = await runAction({
      workspace,
      githubToken: GITHUB_TOKEN,
      inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF, ...inputs },
      env: { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: github.url },
    });
    return r;
  };

  it('lists the OKRs of the current period with ids and a starter mapping, and writes nothing', async () => {
    const result = await action({ 'list-okrs': 'alice@acme.com, ou_b0b00000000000000000000000000002' });
    expect(result.stderr).toBe('');
    expect(result.summary).toBe(
      [
      "## OKRs of Oct - Dec 2026 (2026-10-01 → 2026-12-31)",
      "",
      "Listed as of 2026-11-27T09:00:00.000Z; nothing was written to Feishu.",
      "",
      "### alice&#64;&#8288;acme.com (`ou_a11ce0000000000000000000000001`)",
      "",
      "- Objective `7043693679567028244`: Ship v2 to every customer",
      "  - Key result `7041430377642082323`: Close all v2.0 issues → milestone <code>v2.0</code>",
      "  - Key result `7041430377642082324`: Cut p99 latency in half (okr/perf) → label <code>okr/perf</code>",
      "  - Key result `7041430377642082325`: Raise NPS to 40",
      "",
      "### `ou_b0b00000000000000000000000000002`",
      "",
      "- Objective `7043693679567020001`: Docs people enjoy",
      "  - Key result `7041430377642082326`: Rewrite the docs site → label <code>docs</code>",
      "",
      "### Starter mapping file",
      "",
      "Each key result is paired with the open milestone or label of acme/widgets whose title it names. Save this as `.github/okr-progress.yml`, check each pairing and finish the commented targets.",
      "",
      "```yaml",
      ...STARTER_FILE,
      "```",
      "",
    ].join('\n'),
    );
    expect(shielded(result.stdout)).toBe(
      [
      "OKRs of Oct - Dec 2026 (2026-10-01 → 2026-12-31), as of 2026-11-27T09:00:00.000Z; nothing is written to Feishu.",
      "",
      "alice@acme.com (ou_a11ce0000000000000000000000001):",
      "  Objective 7043693679567028244: Ship v2 to every customer",
      "    Key result 7041430377642082323: Close all v2.0 issues → milestone v2.0",
      "    Key result 7041430377642082324: Cut p99 latency in half (okr/perf) → label okr/perf",
      "    Key result 7041430377642082325: Raise NPS to 40",
      "",
      "ou_b0b00000000000000000000000000002:",
      "  Objective 7043693679567020001: Docs people enjoy",
      "    Key result 7041430377642082326: Rewrite the docs site → label docs",
      "",
      "Starter mapping file for acme/widgets:",
      ...STARTER_FILE,
    ].join('\n'),
    );
    expect(result.code).toBe(0);
    expect(result.outputs).toEqual({ records: '[]', created: '0', updated: '0', failed: '0' });
    expect(feishu.records.size).toBe(0);
    expect(feishu.requests.map((r) => `${r.method} ${r.path}${r.query && Object.keys(r.query).length ? `?${new URLSearchParams(r.query)}` : ''}`)).toEqual([
      "POST /open-apis/auth/v3/tenant_access_token/internal",
      "GET /open-apis/okr/v1/periods?page_size=10",
      "POST /open-apis/contact/v3/users/batch_get_id?user_id_type=open_id",
      "GET /open-apis/okr/v1/users/ou_a11ce0000000000000000000000001/okrs?user_id_type=open_id&offset=0&limit=10&lang=en_us&period_ids=6951461264858777132",
      "GET /open-apis/okr/v1/users/ou_b0b00000000000000000000000000002/okrs?user_id_type=open_id&offset=0&limit=10&lang=en_us&period_ids=6951461264858777132",
    ]);
    expect(JSON.parse(feishu.requests.find((r) => r.path.endsWith('batch_get_id'))!.body)).toEqual({ emails: ['alice@acme.com'] });
    // Repeated, not joined: the fake refuses "a,b".
    expect(feishu.requests.filter((r) => r.path.endsWith('/okrs')).every((r) => r.query['period_ids'] === Q4)).toBe(true);
  });

  it('lists the others, then fails, when a user cannot be found', async () => {
    const result = await action({ 'list-okrs': 'nobody@acme.com, ou_b0b00000000000000000000000000002' });
    expect(result.code).toBe(1);
    const missing = "no Feishu user has this email, or the app may not see them (the address must be the user's own, not an enterprise mailbox).";
    expect(result.summary).toContain(`### Failed\n\n- nobody&#64;&#8288;acme.com: ${missing.replace("'", '&#39;')}\n\n### Starter mapping file`);
    expect(result.summary).toContain('### `ou_b0b00000000000000000000000000002`\n\n- Objective `7043693679567020001`: Docs people enjoy\n');
    expect(shielded(result.stdout)).toContain(`\n\nnobody@acme.com: failed: ${missing}\n\n`);
    // An annotation for the user, then the step's failure.
    expect(result.stdout).toContain(`::error::nobody@acme.com: ${missing}\n::error::The OKRs of 1 of 2 users could not be listed: nobody@acme.com.\n`);
    const error = 'The OKRs of 1 of 2 users could not be listed: nobody@acme.com.';
    expect(result.outputs).toEqual({ records: '[]', created: '0', updated: '0', failed: '1', error });
  });

  it('names the scope to add when the app may not read OKRs', async () => {
    feishu.apps[0] = { ...APP, okrReadScope: false };
    const result = await action({ 'list-okrs': 'ou_b0b00000000000000000000000000002' });
    expect(result.code).toBe(1);
    const error = expect.stringMatching(
      /^Feishu refused: the app lacks the scope this call needs \(Feishu says: "Access denied\. One of the following scopes is required: \[okr:okr:readonly, okr:okr\]\."\) \(code 99991672\)\. Grant the app the okr:okr:readonly \(or okr:okr\) scope in the Feishu developer console and publish a new version of the app\. \(log id \w+\)$/,
    );
    expect(result.outputs).toEqual({ records: '[]', created: '0', updated: '0', failed: '1', error });
    expect(result.summary).toBe(`## OKRs (list-okrs)\n\nNothing was listed: ${result.outputs['error']!.replace(/"/g, '&quot;')}\n`);
    expect(feishu.requests.map((r) => r.path)).toEqual(['/open-apis/auth/v3/tenant_access_token/internal', '/open-apis/okr/v1/periods']);
  });

  it('names the scope to add when the app may not look up emails, and lists open_ids all the same', async () => {
    feishu.apps[0] = { ...APP, contactScope: false };
    const result = await action({ 'list-okrs': 'alice@acme.com, ou_b0b00000000000000000000000000002' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^::error::alice@acme\.com: Feishu refused: the app lacks the scope this call needs \(Feishu says: "Access denied\. One of the following scopes is required: \[contact:user\.id:readonly\]\."\) \(code 99991672\)\. Grant the app the contact:user\.id:readonly scope in the Feishu developer console and publish a new version of the app\. \(log id \w+\)$/m,
    );
    expect(result.summary).toContain('  - Key result `7041430377642082326`: Rewrite the docs site → label <code>docs</code>\n');
    expect(result.outputs).toEqual({ records: '[]', created: '0', updated: '0', failed: '1', error: 'The OKRs of 1 of 2 users could not be listed: alice@acme.com.' });
    expect(feishu.requests.filter((r) => r.path.endsWith('/okrs')).map((r) => r.path)).toEqual(['/open-apis/okr/v1/users/ou_b0b00000000000000000000000000002/okrs']);
  });

  it('says which periods there are when none holds as-of', async () => {
    const result = await action({ 'list-okrs': 'alice@acme.com', 'as-of': '2027-02-01T00:00:00Z' });
    expect(result.code).toBe(1);
    const error =
      'No OKR period of this tenant contains 2027-02-01; its periods are: Jul - Sep 2026 (2026-07-01 → 2026-09-30), Oct - Dec 2026 (2026-10-01 → 2026-12-31). Set as-of to a moment inside one.';
    expect(result.outputs).toEqual({ records: '[]', created: '0', updated: '0', failed: '1', error });
    expect(result.stdout).toContain(`::error::${error}\n`);
    expect(result.summary).toBe(`## OKRs (list-okrs)\n\nNothing was listed: ${error}\n`);
  });

  it('needs Feishu credentials even in a dry run', async () => {
    const result = await action({ 'list-okrs': 'alice@acme.com', 'dry-run': 'true', 'feishu-app-id': '', 'feishu-app-secret': '' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '::error::Feishu credentials are missing: set the inputs `feishu-app-id: ${{ secrets.FEISHU_APP_ID }}` and `feishu-app-secret: ${{ secrets.FEISHU_APP_SECRET }}` (or feishu-access-token) from the repository secrets FEISHU_APP_ID and FEISHU_APP_SECRET; list-okrs reads OKRs from Feishu, so it needs them even in a dry run.\n',
    );
    expect(feishu.requests).toEqual([]);
  });
});

describe('the Feishu calls of list-okrs, against the fake', () => {
  let feishu: FakeFeishu;
  afterEach(() => feishu.close());

  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `70000000000000009${String(i).padStart(2, '0')}`,
      periodId: Q4,
      name: `OKR ${i}`,
      objectives: [{ id: `70436936795670290${String(i).padStart(2, '0')}`, content: `Objective ${i}`, keyResults: [] }],
    }));

  it('reads every page: periods by page token, OKRs by offset and limit as strings', async () => {
    const periods = Array.from({ length: 12 }, (_, i) => ({ ...PERIODS[0]!, id: `69514612648587771${String(i).padStart(2, '0')}` }));
    feishu = await startFakeFeishu({ apps: [APP], periods, users: [{ ...ALICE, okrs: many(11) }] });
    const client = new FeishuClient({ baseUrl: feishu.url, appId: APP.appId, appSecret: APP.appSecret });
    expect((await client.listPeriods()).map((p) => p.id)).toEqual(periods.map((p) => p.id));
    const objectives = await client.listUserOkrs(ALICE.openId, 'open_id', [Q4, Q3]);
    expect(objectives.map((o) => o.content)).toEqual(Array.from({ length: 11 }, (_, i) => `Objective ${i}`));
    expect(feishu.requests.map((r) => (r.path.endsWith('/okrs') ? `${r.query['offset']}+${r.query['limit']}` : r.path.split('/').pop()))).toEqual([
      'internal',
      'periods',
      'periods',
      '0+10',
      '10+10',
    ]);
  });

  it('looks up emails in batches of 50; an unknown one is left out', async () => {
    feishu = await startFakeFeishu({ apps: [APP], users: [ALICE, BOB] });
    const client = new FeishuClient({ baseUrl: feishu.url, appId: APP.appId, appSecret: APP.appSecret });
    const emails = [...Array.from({ length: 50 }, (_, i) => `nobody${i}@acme.com`), 'BOB@acme.com', 'alice@acme.com'];
    const found = await client.openIdsOfEmails(emails);
    expect([...found]).toEqual([
      ['bob@acme.com', BOB.openId],
      ['alice@acme.com', ALICE.openId],
    ]);
    expect(feishu.requests.filter((r) => r.path.endsWith('batch_get_id')).map((r) => (JSON.parse(r.body) as { emails: string[] }).emails.length)).toEqual([50, 2]);
  });

  it('the fake refuses what Feishu refuses: no offset, a limit over 10, period ids joined by commas', async () => {
    feishu = await startFakeFeishu({ apps: [APP], users: [ALICE] });
    const client = new FeishuClient({ baseUrl: feishu.url, appId: APP.appId, appSecret: APP.appSecret });
    await client.listPeriods();
    const token = [...feishu.tokens.keys()][0]!;
    const get = async (query: string) => {
      const response = await fetch(`${feishu.url}/open-apis/okr/v1/users/${ALICE.openId}/okrs?${query}`, { headers: { authorization: `Bearer ${token}` } });
      return ((await response.json()) as { code: number; msg: string }).msg;
    };
    expect(await get('limit=10')).toBe('invalid parameters: offset: is required, a string of digits');
    expect(await get('offset=0&limit=11')).toBe('invalid parameters: limit: is required, from 1 to 10');
    expect(await get(`offset=0&limit=10&period_ids=${Q3},${Q4}`)).toBe('invalid parameters: period_ids: each must be one period id (repeat the key for several)');
    expect(await get('offset=0&limit=10&user_id_type=open_id')).toBe('success');
  });
});

describe('Feishu errors of list-okrs in words', () => {
  it('names the read scope, the missing user and the email scope', () => {
    expect(explainFeishuError(1001002, { call: 'periods', token: 'app' })).toBe(
      'Feishu refused: the app may not read OKRs (code 1001002). Grant the app the okr:okr:readonly (or okr:okr) scope and the permission to read OKR data as the app (以应用身份访问OKR信息) in the Feishu developer console, then publish a new version of the app.',
    );
    expect(explainFeishuError(1001003, { call: 'okrs', userId: 'ou_nobody' })).toBe(
      'Feishu refused: user "ou_nobody" was not found (code 1001003). Check the list-okrs input: an email, an open_id (ou_…) as this app sees it, or a user_id of a member of this tenant.',
    );
    expect(explainFeishuError(99991672, { call: 'user-ids' })).toBe(
      'Feishu refused: the app lacks the scope this call needs (code 99991672). Grant the app the contact:user.id:readonly scope in the Feishu developer console and publish a new version of the app.',
    );
  });
});
