import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { resolveTargets } from '../src/config/resolve.js';
import { MappingFileSchema } from '../src/config/schema.js';
import { Item } from '../src/github/items.js';
import { computeProgress, scheduleOf } from '../src/progress.js';
import { buildRecordRequest } from '../src/record/content.js';
import { CreateProgressRecordRequest } from '../src/record/request.js';
import { WORDS } from '../src/record/words.js';
import { HOSTILE_TITLES } from './fixtures/hostile.js';

// For any repository (titles from a hostile alphabet, any counts, any dates) and any mapping
// settings, the pure pipeline (computeProgress + buildRecordRequest) gives a request that
// passes Feishu's strict request schema, a percent within 0..100 with at most two decimals,
// and a record that lists every item closed in the window exactly once.

const HOUR = 3_600_000;
const NOW_MIN = Date.parse('2025-01-01T00:00:00Z');
const NOW_MAX = Date.parse('2027-12-31T00:00:00Z');

// Characters that have broken renderers and parsers: markup, table and code syntax, mentions,
// workflow-command openers, control and white-space characters, zero-width and bidi marks,
// surrogate halves and astral characters.
const HOSTILE_CHARS = [
  '<', '>', '&', '"', "'", '|', '`', '*', '_', '[', ']', '(', ')', '#', '@', ':', '%', ';', ',', '\\', '/', ' ',
  '\n', '\r', '\t', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029',
  '\u200b', '\u200d', '\u200e', '\u202e', '\u2066', '\ufeff', '\ud83d', '\ude00', '😀', '𝕏', '漢', 'é', 'a', 'Z', '0',
];

const title = fc.oneof(
  fc.string({ unit: fc.constantFrom(...HOSTILE_CHARS), maxLength: 260 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...HOSTILE_TITLES.map((t) => t.title)),
);

const instant = (from: number, to: number) => fc.integer({ min: from, max: to }).map((ms) => new Date(ms).toISOString());

/** A raw issue or pull request as GitHub's issues list returns it. */
const rawItem = (number: number) =>
  fc
    .record({
      title,
      pull: fc.boolean(),
      created: fc.integer({ min: NOW_MIN - 400 * 24 * HOUR, max: NOW_MAX }),
      closedAfter: fc.option(fc.integer({ min: 0, max: 200 * 24 * HOUR }), { nil: null }),
      reason: fc.constantFrom('completed', 'not_planned', 'duplicate', 'reopened', null),
      merged: fc.boolean(),
      login: fc.option(fc.constantFrom('alice', 'octocat', 'dependabot[bot]', 'everyone', 'here'), { nil: null }),
    })
    .map((r) => {
      const closedAt = r.closedAfter === null ? null : new Date(r.created + r.closedAfter).toISOString();
      return {
        number,
        title: r.title,
        html_url: `https://github.com/acme/widgets/${r.pull ? 'pull' : 'issues'}/${number}`,
        state: closedAt ? 'closed' : 'open',
        state_reason: r.pull || !closedAt ? null : r.reason,
        created_at: new Date(r.created).toISOString(),
        updated_at: closedAt ?? new Date(r.created + HOUR).toISOString(),
        closed_at: closedAt,
        user: r.login === null ? null : { login: r.login },
        labels: [],
        ...(r.pull ? { pull_request: { merged_at: r.merged ? closedAt : null } } : {}),
      };
    });

/** A repository's selected items: distinct numbers, any count (up to a few hundred). */
const repository = fc
  .uniqueArray(fc.integer({ min: 1, max: 100_000 }), { maxLength: 300, size: 'small' })
  .chain((numbers) => fc.tuple(...numbers.map(rawItem)));

const date = instant(NOW_MIN - 200 * 24 * HOUR, NOW_MAX + 200 * 24 * HOUR).map((iso) => iso.slice(0, 10));

/** One target of a mapping file, with any settings the schema allows. */
const targetEntry = fc.record(
  {
    key_result: fc.constant('7041430377642082323'),
    milestone: fc.constant(1),
    name: fc.string({ unit: fc.constantFrom(...HOSTILE_CHARS), minLength: 1, maxLength: 200 }),
    window: fc.oneof(
      fc.integer({ min: 0, max: 400 }).map((n) => `${n}d`),
      fc.integer({ min: 0, max: 60 }).map((n) => `${n}w`),
      fc.constant('since-last-record'),
      date,
    ),
    period: fc.constantFrom('week', 'day', 'month', 'run'),
    timezone: fc.constantFrom('UTC', 'Asia/Shanghai', 'America/St_Johns', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Europe/Berlin'),
    status: fc.constantFrom('auto', 'none', 'normal', 'at-risk', 'delayed'),
    include: fc.constantFrom('all', 'issues', 'pulls'),
    progress: fc.constantFrom('github', 'completed'),
    // Small limits often, so that "…and K more" is exercised.
    open_items: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 100 })),
    closed_items: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 500 })),
    risk_tolerance: fc.double({ min: 0, max: 100, noNaN: true }),
    source_title: fc.string({ unit: fc.constantFrom(...HOSTILE_CHARS), minLength: 1, maxLength: 100 }),
    language: fc.constantFrom('en', 'zh'),
    due: date,
    start: date,
  },
  { requiredKeys: ['key_result', 'milestone'] },
);

const scenario = fc.record({
  raw: repository,
  entry: targetEntry,
  now: fc.integer({ min: NOW_MIN, max: NOW_MAX }).map((ms) => new Date(ms)),
  milestone: fc.option(fc.record({ due_on: fc.option(instant(NOW_MIN - 100 * 24 * HOUR, NOW_MAX), { nil: null }), created_at: instant(NOW_MIN - 400 * 24 * HOUR, NOW_MAX) }), { nil: undefined }),
  lastRecordAt: fc.option(fc.integer({ min: NOW_MIN - 60 * 24 * HOUR, max: NOW_MAX }).map((ms) => new Date(ms)), { nil: undefined }),
});

const CLOSED_URL = 'https://github.com/acme/widgets/issues?q=is%3Aclosed';

type Block = { type: string; paragraph?: { style?: { list?: { type: string } }; elements?: { type: string; textRun?: { text: string; style?: { link?: { url: string } } } }[] } };

describe('the pure pipeline over arbitrary repositories and mappings', () => {
  test('builds a valid request, a bounded percent and lists each item closed in the window once', () => {
    fc.assert(
      fc.property(scenario, ({ raw, entry, now, milestone, lastRecordAt }) => {
        // Keep due on or after start, as the mapping file requires.
        if (entry.due && entry.start && entry.due < entry.start) [entry.due, entry.start] = [entry.start, entry.due];
        const mapping = MappingFileSchema.parse({ version: 1, people: { octocat: 'ou_3bbe8a09c20e89cce9bff989ed840674' }, targets: [entry] });
        const [target] = resolveTargets(mapping, 'acme/widgets');
        const items = raw.map((r) => Item.parse(r));
        const progress = computeProgress(target!, items, now, scheduleOf(target!, milestone), lastRecordAt);
        const request = buildRecordRequest({
          target: target!,
          displayName: target!.name ?? '1',
          progress,
          targetUrl: 'https://github.com/acme/widgets/milestone/1',
          closedListUrl: CLOSED_URL,
          openListUrl: 'https://github.com/acme/widgets/issues?q=is%3Aopen',
          people: mapping.people ?? {},
          periodKey: '2026-W48',
          run: { url: 'https://github.com/acme/widgets/actions/runs/1', label: 'OKR #1' },
        });

        expect(CreateProgressRecordRequest.safeParse(request).error).toBeUndefined();

        const percent = request.progress_rate!.percent!;
        expect(percent).toBeGreaterThanOrEqual(0);
        expect(percent).toBeLessThanOrEqual(100);
        expect(Math.round(percent * 100) / 100).toBe(percent);

        // Closed in the window, worked out here from the raw items.
        const from = progress.windowStart.getTime();
        const expected = raw
          .filter((r) => target!.include === 'all' || (target!.include === 'pulls') === ('pull_request' in r))
          .filter((r) => Date.parse(r.created_at) <= now.getTime() && r.closed_at !== null)
          .filter((r) => Date.parse(r.closed_at!) >= from && Date.parse(r.closed_at!) <= now.getTime())
          .map((r) => r.number)
          .sort((a, b) => a - b);
        const listedInWindow = progress.closedInWindow.map((i) => i.number);
        expect([...listedInWindow].sort((a, b) => a - b)).toEqual(expected);

        // The record ticks the first closed_items of them, each once, and links the rest.
        const blocks = request.content.blocks as Block[];
        const ticked = blocks
          .filter((b) => b.paragraph?.style?.list?.type === 'checkedBox')
          .map((b) => Number(b.paragraph!.elements![0]!.textRun!.text.slice(1)));
        expect(ticked).toEqual(listedInWindow.slice(0, target!.closedItems));
        const rest = expected.length - ticked.length;
        const more = blocks.flatMap((b) => b.paragraph?.elements ?? []).filter((e) => e.textRun?.style?.link?.url === CLOSED_URL);
        expect(more.map((e) => e.textRun!.text)).toEqual(rest > 0 ? [WORDS[target!.language].andMore(rest)] : []);

        // Every item title is one plain text run of at most 200 characters after its space.
        for (const block of blocks) {
          const list = block.paragraph?.style?.list?.type;
          if (list !== 'checkedBox' && list !== 'checkBox') continue;
          const run = block.paragraph!.elements![1]!.textRun!.text;
          expect(Array.from(run).length).toBeLessThanOrEqual(201);
          expect(run).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\n\r]/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
