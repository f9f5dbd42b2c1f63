import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateProgressRecordRequest } from '../src/record/request.js';
import {
  AS_OF,
  HOSTILE_KR,
  HOSTILE_MAPPING,
  HOSTILE_MILESTONE,
  HOSTILE_REPOSITORY,
  HOSTILE_TITLES,
  hostileRepo,
  largeRepo,
  runnerCommands,
} from './fixtures/hostile.js';
import { runAction, type ActionResult } from './helpers/run-action.js';
import { startFakeFeishu, type FakeFeishu, type StoredRecord } from './servers/fake-feishu.js';
import { startFakeGitHub, type FakeGitHub } from './servers/fake-github.js';

// Hostile GitHub text, end to end: the bundled action reads it from the fake GitHub and must
// keep the record, the job summary and the log in their shape.

const GITHUB_TOKEN = 'ghs_hostileToken0123456789';
const APP = { appId: 'cli_hostile0000001', appSecret: 'hostile-app-secret-never-print' };

let github: FakeGitHub;
let feishu: FakeFeishu;
let workspace: string;

beforeEach(async () => {
  github = await startFakeGitHub({ token: GITHUB_TOKEN, repos: { [HOSTILE_REPOSITORY]: hostileRepo() } });
  feishu = await startFakeFeishu({ apps: [APP], okrs: { objectives: [], keyResults: [HOSTILE_KR] } });
  workspace = await mkdtemp(path.join(os.tmpdir(), 'okr-hostile-'));
  await mkdir(path.join(workspace, '.github'));
  await writeFile(path.join(workspace, '.github/okr-progress.yml'), HOSTILE_MAPPING);
});

afterEach(async () => {
  await Promise.all([github.close(), feishu.close()]);
  await rm(workspace, { recursive: true, force: true });
});

function action(inputs: Record<string, string> = {}): Promise<ActionResult> {
  return runAction({
    workspace,
    githubToken: GITHUB_TOKEN,
    inputs: { 'feishu-app-id': APP.appId, 'feishu-app-secret': APP.appSecret, 'feishu-base-url': feishu.url, 'as-of': AS_OF, ...inputs },
    env: { GITHUB_REPOSITORY: HOSTILE_REPOSITORY, GITHUB_API_URL: github.url },
  });
}

type Paragraph = { paragraph: { style?: { list?: { type: string } }; elements: Record<string, unknown>[] } };
type Element = { type: string; textRun?: { text: string; style?: Record<string, unknown> }; person?: { openId: string } };

const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0]!;
};

/** The record's shape without its words: block, list and element types, and text styles. */
function shapeOf(content: StoredRecord['content']): string[] {
  return (content.blocks as Paragraph[]).map((block) => {
    const elements = (block.paragraph.elements as Element[]).map((e) => `${e.type}${e.textRun?.style ? `(${Object.keys(e.textRun.style).join(',')})` : ''}`);
    return `${block.paragraph.style?.list?.type ?? 'plain'}: ${elements.join(' ')}`;
  });
}

/** Item paragraphs of one kind of list. */
const listed = (record: StoredRecord, list: 'checkedBox' | 'checkBox'): Element[][] =>
  (record.content.blocks as Paragraph[]).filter((b) => b.paragraph.style?.list?.type === list).map((b) => b.paragraph.elements as Element[]);

/** The HTML's tags with their names only, in order: the structure of the summary. */
const tagsOf = (html: string): string[] => [...html.matchAll(/<\/?([a-z0-9]+)[^>]*>/gi)].map((m) => m[0].startsWith('</') ? `/${m[1]}` : m[1]!);

/** The summary's text as a browser shows it (entities decoded, tags dropped). */
const visibleText = (html: string): string =>
  html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&(lt|gt|quot|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', amp: '&' })[name]!);

/** The titles of the repository replaced by plain words: the same run without hostile text. */
function tameRepository(): void {
  const repo = github.repos[HOSTILE_REPOSITORY]!;
  repo.milestones[0]!.title = 'Plain';
  for (const item of repo.items) item.title = `Plain ${item.number}`;
}

describe('hostile titles in a live run', () => {
  it('are plain text runs in the record, one per item, cleaned and cut to 200 characters', async () => {
    const result = await action();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const record = only([...feishu.records.values()]);
    // The fake refuses a body that breaks Feishu's request format; check it here too.
    const { progress_id: _id, create_time: _c, modify_time: _m, ...sent } = record;
    expect(CreateProgressRecordRequest.parse(sent)).toEqual(sent);

    const count = HOSTILE_TITLES.length;
    const closed = listed(record, 'checkedBox');
    const open = listed(record, 'checkBox');
    expect(closed).toHaveLength(count);
    expect(open).toHaveLength(count);
    for (const [i, { shown }] of HOSTILE_TITLES.entries()) {
      for (const [elements, number] of [[closed[i]!, i + 1], [open[i]!, count + i + 1]] as const) {
        expect(elements[0]).toEqual({
          type: 'textRun',
          textRun: { text: `#${number}`, style: { link: { url: `https://github.com/${HOSTILE_REPOSITORY}/${elements === closed[i] && i % 3 === 2 ? 'pull' : 'issues'}/${number}` } } },
        });
        expect(elements[1]).toEqual({ type: 'textRun', textRun: { text: ` ${shown}` } });
        expect(Array.from(shown).length).toBeLessThanOrEqual(200);
      }
    }
    // A login is plain text unless the mapping names it; only octocat is mapped.
    const authors = closed.map((elements) => elements.at(-1));
    expect(authors.slice(0, 5)).toEqual([
      { type: 'textRun', textRun: { text: '@everyone' } },
      { type: 'textRun', textRun: { text: '@here' } },
      { type: 'person', person: { openId: 'ou_3bbe8a09c20e89cce9bff989ed840674' } },
      { type: 'textRun', textRun: { text: '@dependabot[bot]' } },
      { type: 'textRun', textRun: { text: '@all' } },
    ]);
    const headline = (record.content.blocks as Paragraph[])[0]!.paragraph.elements as Element[];
    expect(headline[0]).toEqual({
      type: 'textRun',
      textRun: { text: HOSTILE_MILESTONE.shown, style: { link: { url: `https://github.com/${HOSTILE_REPOSITORY}/milestone/1` } } },
    });
    expect(JSON.parse(result.outputs['records']!)[0].name).toBe(HOSTILE_MILESTONE.shown);

    // The same run over plain titles gives a record of the same shape.
    tameRepository();
    const tame = await action();
    expect(tame.code).toBe(0);
    const tameRecord = only([...feishu.records.values()]);
    expect(shapeOf(record.content)).toEqual(shapeOf(tameRecord.content));
  });

  it('add no HTML to the job summary, keep its table and mention no one', async () => {
    const result = await action();
    expect(result.code).toBe(0);
    const { summary } = result;
    // The same tags, in the same order, as the summary of the same run over plain titles.
    tameRepository();
    const tame = await action();
    expect(tagsOf(summary)).toEqual(tagsOf(tame.summary));
    expect(summary).toContain('v2 &lt;b&gt;bold&lt;/b&gt; &#124; ::set-output name=m::1 ##[add-mask]on &#64;&#8288;acme/team ::add-mask::secret-ish');
    expect(visibleText(summary)).toContain(HOSTILE_MILESTONE.shown.replace('@', '@\u2060'));
    expect(visibleText(summary)).not.toMatch(/@[A-Za-z0-9]/);
  });

  it('act as no workflow command in the log', async () => {
    const result = await action();
    expect(result.code).toBe(0);
    const commands = runnerCommands(result.stdout);
    // The masks of the secrets (and of the tenant token once fetched); nothing the titles hold.
    expect(commands.filter((c) => c.name === 'add-mask').map((c) => c.rest)).toEqual([
      `::${APP.appSecret}`,
      `::${GITHUB_TOKEN}`,
      `::${APP.appSecret}`,
      `::${only([...feishu.tokens.keys()])}`,
    ]);
    expect(new Set(commands.map((c) => c.name))).toEqual(new Set(['add-mask', 'debug', 'stop-commands']));
    expect(commands.filter((c) => c.name === 'stop-commands')).toHaveLength(1);
    expect(runnerCommands(result.stderr)).toEqual([]);
    // The per-target line names the target, shielded from the runner.
    expect(result.stdout).toContain(`\n${HOSTILE_MILESTONE.shown}: created record `);
  });
});

describe('hostile titles in a dry run', () => {
  it('print a valid payload that the runner reads as plain text', async () => {
    const result = await runAction({
      workspace,
      githubToken: GITHUB_TOKEN,
      inputs: { 'dry-run': 'true', 'as-of': AS_OF },
      env: { GITHUB_REPOSITORY: HOSTILE_REPOSITORY, GITHUB_API_URL: github.url },
    });
    expect(result.code).toBe(0);
    expect(feishu.requests).toHaveLength(0);
    const commands = runnerCommands(result.stdout);
    expect(commands.map((c) => c.name)).toEqual(['add-mask', 'group', 'stop-commands', 'endgroup', 'debug']);
    expect(commands[1]!.rest).toBe(`::${HOSTILE_MILESTONE.shown}: 50%25 (19 of 38), would create a record`);

    // The record as text, one line per block after the two lines of where it goes, then where the JSON is.
    const token = commands[2]!.rest.slice(2);
    const start = result.stdout.indexOf(`::stop-commands::${token}\n`) + `::stop-commands::${token}\n`.length;
    const shown = result.stdout.slice(start, result.stdout.indexOf(`\n::${token}::`)).split('\n');
    expect(shown).toHaveLength(2 + 1 + 1 + 19 + 1 + 19 + 1 + 4 + 1 + 2);
    expect(shown.at(-1)).toMatch(/^The request body \(JSON\) is in \/.+\/_temp\/okr-record-1-\d+\.json\.$/);

    // The exact body is in the debug log, one escaped line.
    const debug = commands[4]!.rest.slice(2).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
    const payload = JSON.parse(debug.slice(debug.indexOf(': request body ') + ': request body '.length));
    expect(CreateProgressRecordRequest.parse(payload)).toEqual(payload);
    expect(payload.content.blocks).toHaveLength(1 + 1 + 19 + 1 + 19 + 1 + 4 + 1);
  });
});

describe('a failed target whose message quotes hostile names', () => {
  it('reports it in an annotation, the summary and the output without letting it act', async () => {
    await writeFile(path.join(workspace, '.github/okr-progress.yml'), HOSTILE_MAPPING.replace('milestone: 1', 'milestone: "v3"'));
    const result = await action();
    expect(result.code).toBe(1);
    const commands = runnerCommands(result.stdout);
    expect(commands.map((c) => c.name)).toEqual(['add-mask', 'add-mask', 'add-mask', 'error', 'error']);
    // Names in the hint are cleaned like titles: line breaks folded.
    const hint = `it has "${HOSTILE_MILESTONE.title.replace(/\s+/g, ' ')}"`;
    const message = `.github/okr-progress.yml:10:16 targets[0].milestone: milestone "v3" does not exist in acme/hostile; ${hint}`;
    expect(commands[3]!.rest).toBe(`::v3: ${message.replace(/\n/g, '%0A')}`);
    expect(JSON.parse(result.outputs['records']!)[0].error).toBe(message);
    expect(visibleText(result.summary)).not.toMatch(/@[A-Za-z0-9]/);
    tameRepository();
    const tame = await action();
    expect(tagsOf(result.summary)).toEqual(tagsOf(tame.summary));
  });
});

describe('a very large window', () => {
  it('lists closed_items and open_items, links the rest, and keeps the summary under 1 MiB', async () => {
    github.repos[HOSTILE_REPOSITORY] = largeRepo(2000, 150);
    await writeFile(path.join(workspace, '.github/okr-progress.yml'), HOSTILE_MAPPING.replace(/defaults:\n.*\n.*\n/, ''));
    const result = await action();
    expect(result.code).toBe(0);
    const record = only([...feishu.records.values()]);
    const closed = listed(record, 'checkedBox');
    expect(closed).toHaveLength(50);
    expect(closed.map((elements) => elements[0]!.textRun!.text)).toEqual(Array.from({ length: 50 }, (_, i) => `#${i + 1}`));
    expect(listed(record, 'checkBox')).toHaveLength(10);
    const more = (record.content.blocks as Paragraph[])
      .filter((b) => b.paragraph.style?.list?.type === 'indent')
      .map((b) => b.paragraph.elements as Element[]);
    const query = (state: string) => `https://github.com/${HOSTILE_REPOSITORY}/issues?q=${encodeURIComponent(`milestone:"Big" is:${state} sort:updated-desc`)}`;
    expect(more).toEqual([
      [{ type: 'textRun', textRun: { text: '…and 1950 more', style: { link: { url: query('closed') } } } }],
      [{ type: 'textRun', textRun: { text: '…and 140 more', style: { link: { url: query('open') } } } }],
    ]);
    expect(record.progress_rate).toEqual({ percent: 93.02, status: -1 });
    expect(JSON.parse(result.outputs['records']!)[0]).toMatchObject({ done: 2000, total: 2150, closed_in_window: 2000 });
    expect(Buffer.byteLength(result.summary)).toBeLessThan(1024 * 1024);
  });
});
