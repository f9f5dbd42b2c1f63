import { afterEach, describe, expect, it } from '@jest/globals';
import type { ListedRecord } from '../src/feishu/answers.js';
import { FeishuClient } from '../src/feishu/client.js';
import { AmbiguousWriteError } from '../src/feishu/errors.js';
import { findEarlierRecords, isNewer, namesTarget, periodOfRecord, publishRecord } from '../src/publish.js';
import type { CreateProgressRecordRequest } from '../src/record/request.js';
import { DEFAULT_APP, startFakeFeishu, type FakeFeishu, type FakeFeishuOptions, type ListOrder, type StoredRecord } from './servers/fake-feishu.js';

// publish.ts against the fake Feishu in this process: which records it finds, and that every
// way a create can end leaves exactly the records the contract promises.

const KR = '7041430377642082323';
const OBJECTIVE = '7043693679567028244';
const REPO = 'acme/widgets';

let fake: FakeFeishu;
const running: FakeFeishu[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

/** One clock for the fake and the client: a week passes between two lines of a test, not in real time. */
let clock = Date.parse('2026-11-27T09:00:00Z');

async function start(options: FakeFeishuOptions = {}): Promise<FeishuClient> {
  fake = await startFakeFeishu({ now: () => clock, ...options });
  running.push(fake);
  // Backoff waits are not slept: these tests are about outcomes, not timing.
  return new FeishuClient({
    baseUrl: fake.url,
    appId: DEFAULT_APP.appId,
    appSecret: DEFAULT_APP.appSecret,
    now: () => clock,
    deadlineMs: 365 * 24 * 3600_000,
    sleep: async (ms) => {
      clock += ms;
    },
  });
}

const paragraph = (text: string) => ({ type: 'paragraph' as const, paragraph: { elements: [{ type: 'textRun' as const, textRun: { text } }] } });

function request(period: string, headline: string, percent: number): CreateProgressRecordRequest {
  return {
    source_title: `GitHub · ${REPO}`,
    source_url: `https://github.com/${REPO}/milestone/1`,
    target_id: KR,
    target_type: 3,
    content: { blocks: [paragraph(headline), paragraph(`okr-progress-action · ${REPO} · ${period} · OKR #42`)] },
    progress_rate: { percent, status: 0 },
  };
}

/** Puts a record into the fake as if it had been written at `createdAt` (ms). */
function seed(progressId: string, createdAt: number, lines: string[], targetId = KR): void {
  const record: StoredRecord = {
    progress_id: progressId,
    source_title: 'GitHub',
    source_url: 'https://github.com/',
    target_id: targetId,
    target_type: targetId === KR ? 3 : 2,
    content: { blocks: lines.map(paragraph) },
    create_time: String(createdAt),
    modify_time: String(createdAt),
  };
  fake.records.set(progressId, record);
}

const posts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/okr/v1/progress_records');
const lists = () => fake.requests.filter((r) => r.path.startsWith('/open-apis/okr/v2/'));
const texts = () => [...fake.records.values()].map((r) => r.content.blocks.map((b) => (b.type === 'paragraph' ? b.paragraph.elements?.[0] : undefined)));

describe('periodOfRecord', () => {
  it("reads the repository and period from the footer, the record's last line", () => {
    expect(periodOfRecord('62.5% done\nokr-progress-action · acme/widgets · 2026-W48 · OKR #42', REPO)).toBe('2026-W48');
    expect(periodOfRecord('okr-progress-action · acme/widgets · run-777-2', REPO)).toBe('run-777-2');
  });

  it("ignores another repository's record, a marker that is not in the footer, and hand-written records", () => {
    expect(periodOfRecord('x\nokr-progress-action · acme/gadgets · 2026-W48 · OKR #42', REPO)).toBeUndefined();
    expect(periodOfRecord('okr-progress-action · acme/widgets · 2026-W48\nwritten by hand', REPO)).toBeUndefined();
    expect(periodOfRecord('Shipped the beta 🎉', REPO)).toBeUndefined();
    expect(periodOfRecord('', REPO)).toBeUndefined();
  });
});

describe('namesTarget', () => {
  it('matches the display name at the end of the headline only', () => {
    const text = '62.5% — 5 of 8 done · on track · Launch v2\nClosed since 2026-11-20 (0)\nokr-progress-action · acme/widgets · 2026-W48';
    expect(namesTarget(text, 'Launch v2')).toBe(true);
    expect(namesTarget(text, 'v2')).toBe(false);
    expect(namesTarget(text, 'Launch')).toBe(false);
    expect(namesTarget('Closed since · Launch v2', 'Docs')).toBe(false);
    expect(namesTarget('x\nClosed since · Launch v2', 'Launch v2')).toBe(false);
    expect(namesTarget('50% · on track · Launch v2', 'Launch v2')).toBe(true);
  });
});

describe('findEarlierRecords', () => {
  it("finds this period's record and the newest one of an earlier period, of this repository only", async () => {
    const feishu = await start();
    seed('7000000000000000001', 1_000, ['old', `okr-progress-action · ${REPO} · 2026-W46 · OKR #40`]);
    seed('7000000000000000002', 2_000, ['gadgets', 'okr-progress-action · acme/gadgets · 2026-W47 · OKR #41']);
    seed('7000000000000000003', 3_000, ['last week', `okr-progress-action · ${REPO} · 2026-W47 · OKR #41`]);
    seed('7000000000000000004', 4_000, ['this week', `okr-progress-action · ${REPO} · 2026-W48 · OKR #42`]);
    seed('7000000000000000005', 5_000, ['written by hand in Feishu']);
    seed('7000000000000000006', 6_000, ['another objective', `okr-progress-action · ${REPO} · 2026-W48 · OKR #42`], OBJECTIVE);
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);

    const thisWeek = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', warn);
    expect([thisWeek.current?.id, thisWeek.previous?.id, thisWeek.readable]).toEqual(['7000000000000000004', '7000000000000000003', true]);
    expect(thisWeek.previous?.createTime).toBe(3_000);

    const nextWeek = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W49', warn);
    expect([nextWeek.current, nextWeek.previous?.id]).toEqual([undefined, '7000000000000000004']);

    const gadgets = await findEarlierRecords(feishu, 3, KR, 'acme/gadgets', '2026-W48', warn);
    expect([gadgets.current, gadgets.previous?.id]).toEqual([undefined, '7000000000000000002']);

    const none = await findEarlierRecords(feishu, 2, OBJECTIVE, 'acme/gadgets', '2026-W48', warn);
    expect(none).toEqual({ current: undefined, previous: undefined, readable: true });
    expect(warnings).toEqual([]);
  });

  it('reads every page of a long history', async () => {
    const feishu = await start();
    seed('7000000000000000001', 1_000, [`okr-progress-action · ${REPO} · 2026-W40 · OKR #1`]);
    for (let i = 0; i < 150; i += 1) seed(`71000000000000${String(i).padStart(5, '0')}`, 2_000 + i, [`note ${i}`]);
    const found = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', () => {});
    expect(found.previous?.id).toBe('7000000000000000001');
    expect(lists().map((r) => r.query['page_token'] !== undefined)).toEqual([false, true]);
  });

  const ORDERS: ListOrder[] = ['newest-first', 'oldest-first', 'shuffled'];

  it.each(ORDERS)('chooses by create_time, not by position, over every page of a %s list without has_more at its end', async (listOrder) => {
    const feishu = await start({ listOrder, listPageLimit: 2, listOmitsEnd: true });
    seed('7000000000000000001', 1_000, [`okr-progress-action · ${REPO} · 2026-W45 · OKR #1`]);
    seed('7000000000000000002', 2_000, [`okr-progress-action · ${REPO} · 2026-W46 · OKR #2`]);
    seed('7000000000000000003', 3_000, ['by hand']);
    seed('7000000000000000004', 4_000, [`okr-progress-action · ${REPO} · 2026-W47 · OKR #3`]);
    seed('7000000000000000005', 5_000, [`okr-progress-action · ${REPO} · 2026-W48 · OKR #4`]);
    seed('7000000000000000006', 6_000, ['by hand, later']);
    const found = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', () => {});
    expect([found.current?.id, found.previous?.id]).toEqual(['7000000000000000005', '7000000000000000004']);
    expect(lists()).toHaveLength(3);
  });

  it('breaks a tie of create_time by the larger id, shorter ids being smaller', async () => {
    const feishu = await start({ listOrder: 'newest-first' });
    seed('999999999999999999', 7_000, [`okr-progress-action · ${REPO} · 2026-W47 · OKR #1`]);
    seed('7000000000000000002', 7_000, [`okr-progress-action · ${REPO} · 2026-W47 · OKR #2`]);
    seed('7000000000000000001', 7_000, [`okr-progress-action · ${REPO} · 2026-W47 · OKR #3`]);
    const found = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', () => {});
    expect(found.previous?.id).toBe('7000000000000000002');
    const at = (id: string, createTime: number): ListedRecord => ({ id, createTime, updateTime: createTime, text: '' });
    expect(isNewer(at('1', 2), at('9', 1))).toBe(true);
    expect(isNewer(at('10', 1), at('9', 1))).toBe(true);
    expect(isNewer(at('9', 1), at('10', 1))).toBe(false);
    expect(isNewer(at('5', 1), at('5', 1))).toBe(false);
    expect(isNewer(at('9', 1), at('8', 1))).toBe(true);
    expect(isNewer(at('8', 1), at('9', 1))).toBe(false);
    expect(isNewer(at('9', 1), at('1', 2))).toBe(false);
  });

  it('several records of this period: the newest is updated, a warning names the others', async () => {
    const feishu = await start({ listOrder: 'oldest-first' });
    seed('7000000000000000001', 1_000, [`okr-progress-action · ${REPO} · 2026-W48 · OKR #1`]);
    seed('7000000000000000003', 3_000, [`okr-progress-action · ${REPO} · 2026-W48 · OKR #3`]);
    seed('7000000000000000002', 2_000, [`okr-progress-action · ${REPO} · 2026-W48 · OKR #2`]);
    const warnings: string[] = [];
    const found = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', (m) => warnings.push(m));
    expect([found.current?.id, found.previous]).toEqual(['7000000000000000003', undefined]);
    expect(warnings).toEqual([
      'The key result 7041430377642082323 has 3 records of acme/widgets for 2026-W48: updating the newest, 7000000000000000003; the others (7000000000000000002, 7000000000000000001) are left as they are. Delete duplicates in Feishu OKR so that the history shows one record per period.',
    ]);
    const published = await publishRecord(feishu, request('2026-W48', 'again', 80), REPO, '2026-W48', found, () => {});
    expect(published).toEqual({ result: 'updated', progressId: '7000000000000000003' });
    expect(fake.records.get('7000000000000000003')?.progress_rate).toEqual({ percent: 80, status: 0 });
    expect(fake.records.get('7000000000000000002')?.progress_rate).toBeUndefined();
  });

  it('without the read scope, warns naming okr:okr.progress:readonly and reports the records unreadable', async () => {
    const feishu = await start({ readScope: false });
    const warnings: string[] = [];
    const found = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', (m) => warnings.push(m));
    expect(found).toEqual({ current: undefined, previous: undefined, readable: false });
    expect(warnings).toEqual([
      'The Feishu app may not read progress records (code 1001002), so this run cannot find the record it wrote earlier in this period and creates a new one. Grant the app the okr:okr.progress:readonly scope so that re-runs update instead.',
    ]);
    expect(lists()).toHaveLength(1);
  });

  it('takes only a Feishu answer for a missing read scope: another error with its number passes through', async () => {
    const socket = Object.assign(new Error('socket hang up'), { code: 1001002 });
    const failing = {
      async *listRecords() {
        throw socket;
      },
    } as unknown as FeishuClient;
    const warnings: string[] = [];
    await expect(findEarlierRecords(failing, 3, KR, REPO, '2026-W48', (m) => warnings.push(m))).rejects.toBe(socket);
    expect(warnings).toEqual([]);
  });

  it('lets any other failure through', async () => {
    const feishu = await start();
    await expect(findEarlierRecords(feishu, 3, '7041430377642080000', REPO, '2026-W48', () => {})).rejects.toThrow(
      'Feishu refused: key_result "7041430377642080000" was not found (code 1001004). Check key_result "7041430377642080000" in the mapping file: it must be the id of a key result in Feishu OKR (an objective\'s id goes under objective:).',
    );
  });
});

describe('publishRecord', () => {
  async function publish(feishu: FeishuClient, period: string, headline: string, percent: number, log: string[] = []) {
    const earlier = await findEarlierRecords(feishu, 3, KR, REPO, period, (m) => log.push(m));
    return publishRecord(feishu, request(period, headline, percent), REPO, period, earlier, (m) => log.push(m));
  }

  it("updates this period's record in place, and creates one for a new period", async () => {
    const feishu = await start();
    const first = await publish(feishu, '2026-W48', 'first', 40);
    expect(first.result).toBe('created');
    const again = await publish(feishu, '2026-W48', 'second', 55.5);
    expect(again).toEqual({ result: 'updated', progressId: first.progressId });
    expect(fake.records.size).toBe(1);
    expect(fake.records.get(first.progressId)?.progress_rate).toEqual({ percent: 55.5, status: 0 });
    expect(texts()).toEqual([[{ type: 'textRun', textRun: { text: 'second' } }, { type: 'textRun', textRun: { text: `okr-progress-action · ${REPO} · 2026-W48 · OKR #42` } }]]);

    const next = await publish(feishu, '2026-W49', 'next week', 70);
    expect(next.result).toBe('created');
    expect(next.progressId).not.toBe(first.progressId);
    expect(fake.records.size).toBe(2);
    expect(posts()).toHaveLength(2);
  });

  it('a create whose connection broke after Feishu stored it is found, not sent again', async () => {
    const feishu = await start();
    fake.faults.push({ route: 'create', kind: 'drop-after-store' });
    const log: string[] = [];
    const published = await publish(feishu, '2026-W48', 'first', 40, log);
    expect(fake.records.size).toBe(1);
    expect(published).toEqual({ result: 'created', progressId: [...fake.records.keys()][0] });
    expect(posts()).toHaveLength(1);
    expect(lists()).toHaveLength(2);
    expect(log).toEqual([
      "The create call's answer was lost (The request to create a progress record was sent to Feishu, but the connection was closed before an answer came (UND_ERR_SOCKET): Feishu may have stored the record or not.); checking whether Feishu stored the record.",
    ]);
  });

  it('a create whose connection broke before Feishu stored it is sent again, once', async () => {
    const feishu = await start();
    fake.faults.push({ route: 'create', kind: 'drop-before-store' });
    const published = await publish(feishu, '2026-W48', 'first', 40);
    expect(fake.records.size).toBe(1);
    expect(published).toEqual({ result: 'created', progressId: [...fake.records.keys()][0] });
    expect(posts()).toHaveLength(2);
  });

  it('gives up, saying the record may exist, when the create breaks twice', async () => {
    const feishu = await start();
    fake.faults.push({ route: 'create', kind: 'drop-before-store', times: 2 });
    const error = await publish(feishu, '2026-W48', 'first', 40).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmbiguousWriteError);
    expect((error as Error).message).toBe(
      'The request to create a progress record was sent to Feishu, but the connection was closed before an answer came (UND_ERR_SOCKET): Feishu may have stored the record or not.',
    );
    expect(posts()).toHaveLength(2);
    expect(fake.records.size).toBe(0);
  });

  it('without the read scope, a broken create is not sent again: the target fails saying the record may exist', async () => {
    const feishu = await start({ readScope: false });
    fake.faults.push({ route: 'create', kind: 'drop-after-store' });
    await expect(publish(feishu, '2026-W48', 'first', 40)).rejects.toThrow(AmbiguousWriteError);
    expect(posts()).toHaveLength(1);
    expect(fake.records.size).toBe(1);
  });

  it.each(['newest-first', 'oldest-first', 'shuffled'] as const)('runs twice a week for five weeks under a %s list: one record per week', async (listOrder) => {
    const feishu = await start({ listOrder, listPageLimit: 2, listOmitsEnd: true });
    const weeks = ['2026-W48', '2026-W49', '2026-W50', '2026-W51', '2026-W52'];
    const results: string[] = [];
    for (const week of weeks) {
      results.push((await publish(feishu, week, `${week} monday`, 10)).result);
      clock += 24 * 3600_000;
      results.push((await publish(feishu, week, `${week} tuesday`, 20)).result);
      clock += 6 * 24 * 3600_000;
    }
    expect(results).toEqual(weeks.flatMap(() => ['created', 'updated']));
    // What the fake holds at the end: one record per week, each with the week's latest numbers.
    expect(fake.records.size).toBe(5);
    expect(texts().map((t) => (t[0]?.type === 'textRun' ? t[0].textRun.text : ''))).toEqual(weeks.map((w) => `${w} tuesday`));
    expect([...fake.records.values()].map((r) => r.progress_rate?.percent)).toEqual([20, 20, 20, 20, 20]);
  });

  it('without the read scope, every run creates', async () => {
    const feishu = await start({ readScope: false });
    expect((await publish(feishu, '2026-W48', 'first', 40)).result).toBe('created');
    expect((await publish(feishu, '2026-W48', 'second', 50)).result).toBe('created');
    expect(fake.records.size).toBe(2);
  });
});
