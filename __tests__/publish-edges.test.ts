import { afterEach, describe, expect, it } from '@jest/globals';
import { FeishuClient } from '../src/feishu/client.js';
import { findEarlierRecords, namesTarget, periodOfRecord, publishRecord } from '../src/publish.js';
import type { CreateProgressRecordRequest } from '../src/record/request.js';
import { DEFAULT_APP, startFakeFeishu, type FakeFeishu, type StoredRecord } from './servers/fake-feishu.js';

// The edges of how a record is recognised as this action's: where the footer starts, where
// the headline ends, and the headline check when two targets share an objective and repository.

const KR = '7041430377642082323';
const OBJECTIVE = '7043693679567028244';
const REPO = 'acme/widgets';
const FOOTER = `okr-progress-action · ${REPO} · 2026-W48 · OKR #42`;

describe('periodOfRecord at the edges', () => {
  it('reads a footer that is the whole text, or that the marker starts', () => {
    expect(periodOfRecord(FOOTER, REPO)).toBe('2026-W48');
    expect(periodOfRecord(`headline\n${FOOTER}`, REPO)).toBe('2026-W48');
    expect(periodOfRecord(`headline\nWritten by ${FOOTER}`, REPO)).toBe('2026-W48');
  });

  it('reads the last line only: a marker on the line before, with an empty last line, is not a footer', () => {
    expect(periodOfRecord(`${FOOTER}\n`, REPO)).toBeUndefined();
    expect(periodOfRecord(`headline\n${FOOTER}\nx`, REPO)).toBeUndefined();
  });

  it('needs the repository and period after the brand', () => {
    expect(periodOfRecord('headline\nokr-progress-action', REPO)).toBeUndefined();
    expect(periodOfRecord('headline\nokr-progress-action · acme/widgets', REPO)).toBeUndefined();
    expect(periodOfRecord('headline\nby okr-progress-action · acme/widgets · 2026-11', REPO)).toBe('2026-11');
    expect(periodOfRecord('headline\nokr-progress-action · ACME/widgets · 2026-11', REPO)).toBeUndefined();
  });
});

describe('namesTarget at the edges', () => {
  it('reads the headline up to the first line break, or the whole text', () => {
    expect(namesTarget('50% · Launch v2', 'Launch v2')).toBe(true);
    expect(namesTarget('50% · Launch v2\n', 'Launch v2')).toBe(true);
    expect(namesTarget('50% · Launch v2\nx', 'Launch v2')).toBe(true);
    expect(namesTarget('\n50% · Launch v2', 'Launch v2')).toBe(false);
    expect(namesTarget('50% · Launch v2x', 'Launch v2')).toBe(false);
    expect(namesTarget('50% · Launch v', 'Launch v2')).toBe(false);
    expect(namesTarget('50% · Launch v2 \n', 'Launch v2')).toBe(false);
    expect(namesTarget('50% ·Launch v2', 'Launch v2')).toBe(false);
  });

  it('knows the headline that leads with the name, and still the one written before, that ends with it', () => {
    expect(namesTarget('Launch v2 — 50% · 4 of 8 done · at risk (expected 78% by now)\nx', 'Launch v2')).toBe(true);
    expect(namesTarget('50% — 4 of 8 done · at risk · Launch v2\nx', 'Launch v2')).toBe(true);
    expect(namesTarget('Launch v2 beta — 50% · 4 of 8 done · on track', 'Launch v2')).toBe(false);
    expect(namesTarget('Launch — 50% · 4 of 8 done · on track', 'Launch v2')).toBe(false);
    expect(namesTarget('x\nLaunch v2 — 50%', 'Launch v2')).toBe(false);
  });
});

describe('two targets of one objective and repository', () => {
  let fake: FakeFeishu | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  async function start(): Promise<FeishuClient> {
    fake = await startFakeFeishu();
    return new FeishuClient({ baseUrl: fake.url, appId: DEFAULT_APP.appId, appSecret: DEFAULT_APP.appSecret, sleep: async () => {} });
  }

  function seed(progressId: string, createdAt: number, lines: string[], targetId = KR): void {
    const record: StoredRecord = {
      progress_id: progressId,
      source_title: 'GitHub',
      source_url: 'https://github.com/',
      target_id: targetId,
      target_type: targetId === KR ? 3 : 2,
      content: { blocks: lines.map((text) => ({ type: 'paragraph' as const, paragraph: { elements: [{ type: 'textRun' as const, textRun: { text } }] } })) },
      create_time: String(createdAt),
      modify_time: String(createdAt),
    };
    fake!.records.set(progressId, record);
  }

  it('each finds the record whose headline names it, this period and the one before', async () => {
    const feishu = await start();
    seed('7000000000000000001', 1_000, ['40% · Docs', `okr-progress-action · ${REPO} · 2026-W47 · OKR #41`]);
    seed('7000000000000000002', 2_000, ['30% · Launch v2', `okr-progress-action · ${REPO} · 2026-W47 · OKR #41`]);
    seed('7000000000000000003', 3_000, ['50% · Docs', FOOTER]);
    seed('7000000000000000004', 4_000, ['60% · Launch v2', FOOTER]);
    const warn = () => {};

    const launch = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', warn, 'Launch v2');
    expect([launch.current?.id, launch.previous?.id]).toEqual(['7000000000000000004', '7000000000000000002']);
    const docs = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', warn, 'Docs');
    expect([docs.current?.id, docs.previous?.id]).toEqual(['7000000000000000003', '7000000000000000001']);
    const other = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', warn, 'Perf');
    expect([other.current, other.previous]).toEqual([undefined, undefined]);
  });

  it("a create whose answer was lost looks for the record with this target's headline, not the other's", async () => {
    const feishu = await start();
    // The other target's record is the newest: found first by a look that ignored the headline.
    seed('7000000000000000003', 4_102_444_800_000, ['50% · Docs', FOOTER]);
    fake!.faults.push({ route: 'create', kind: 'drop-after-store' });
    const request: CreateProgressRecordRequest = {
      source_title: `GitHub · ${REPO}`,
      source_url: `https://github.com/${REPO}/milestone/1`,
      target_id: KR,
      target_type: 3,
      content: { blocks: [{ type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: '60% · Launch v2' } }] } }, { type: 'paragraph', paragraph: { elements: [{ type: 'textRun', textRun: { text: FOOTER } }] } }] },
      progress_rate: { percent: 60, status: 0 },
    };
    const earlier = await findEarlierRecords(feishu, 3, KR, REPO, '2026-W48', () => {}, 'Launch v2');
    expect(earlier.current).toBeUndefined();
    const published = await publishRecord(feishu, request, REPO, '2026-W48', earlier, () => {}, 'Launch v2');
    const stored = [...fake!.records.keys()].filter((id) => id !== '7000000000000000003');
    expect(stored).toHaveLength(1);
    expect(published).toEqual({ result: 'created', progressId: stored[0] });
    expect(fake!.requests.filter((r) => r.method === 'POST' && r.path === '/open-apis/okr/v1/progress_records')).toHaveLength(1);
  });

  it("two records of an objective's target for one period: the newest is updated, the other named, in the singular", async () => {
    const feishu = await start();
    seed('7000000000000000005', 5_000, ['50% · Docs', FOOTER], OBJECTIVE);
    seed('7000000000000000006', 6_000, ['55% · Docs', FOOTER], OBJECTIVE);
    const warnings: string[] = [];
    const found = await findEarlierRecords(feishu, 2, OBJECTIVE, REPO, '2026-W48', (m) => warnings.push(m), 'Docs');
    expect([found.current?.id, found.previous]).toEqual(['7000000000000000006', undefined]);
    expect(warnings).toEqual([
      'The objective 7043693679567028244 has 2 records of acme/widgets for 2026-W48 (Docs): updating the newest, 7000000000000000006; the other (7000000000000000005) is left as it is. Delete duplicates in Feishu OKR so that the history shows one record per period.',
    ]);
  });
});
