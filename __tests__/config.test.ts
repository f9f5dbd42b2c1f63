import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closest } from '../src/config/closest.js';
import { MAPPING_SCHEMA_FILE, MAPPING_SCHEMA_URL, mappingJsonSchema, mappingJsonSchemaText } from '../src/config/json-schema.js';
import { loadMappingFile, parseMappingFile } from '../src/config/load.js';
import { resolveTargets } from '../src/config/resolve.js';
import type { Target } from '../src/config/schema.js';

const GOOD = join(process.cwd(), '__tests__/fixtures/config/good');
const load = (name: string) => loadMappingFile(join(GOOD, name), name);

const SETTINGS = {
  window: '7d',
  period: 'week',
  timezone: 'UTC',
  status: 'auto',
  include: 'all',
  progress: 'github',
  openItems: 10,
  closedItems: 50,
  riskTolerance: 15,
  language: 'en',
  chart: false,
} as const;

// The contract's example, resolved in a workflow of acme/widgets.
const CONTRACT_TARGETS: Target[] = [
  {
    index: 0,
    name: 'Launch v2',
    targetId: '7041430377642082323',
    targetType: 3,
    repository: 'acme/widgets',
    milestone: 'v2.0',
    labels: [],
    due: undefined,
    start: undefined,
    docs: [],
    ...SETTINGS,
    sourceTitle: 'GitHub · acme/widgets',
  },
  {
    index: 1,
    name: undefined,
    targetId: '7043693679567028244',
    targetType: 2,
    repository: 'acme/gadgets',
    milestone: undefined,
    labels: ['okr/perf', 'area: api'],
    due: '2026-12-31',
    start: '2026-10-01',
    docs: [{ url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' }],
    ...SETTINGS,
    sourceTitle: 'GitHub · acme/widgets',
  },
];

describe('good mapping files', () => {
  test("the contract's example YAML resolves to its targets", async () => {
    const mapping = await load('contract.yml');
    expect(mapping.people).toStrictEqual({ octocat: 'ou_3bbe8a09c20e89cce9bff989ed840674' });
    expect(resolveTargets(mapping, 'acme/widgets')).toStrictEqual(CONTRACT_TARGETS);
  });

  test('the same file as JSON resolves to the same targets', async () => {
    expect(resolveTargets(await load('contract.json'), 'acme/widgets')).toStrictEqual(CONTRACT_TARGETS);
  });

  test('JSON is recognised by its content, not by the file name', () => {
    const text = readFileSync(join(GOOD, 'contract.json'), 'utf8');
    expect(resolveTargets(parseMappingFile(`\uFEFF${text.replaceAll('  ', '\t')}`, 'okr-progress.yml'), 'acme/widgets')).toStrictEqual(
      CONTRACT_TARGETS,
    );
  });

  test('JSON slips that YAML reads (a trailing comma, single quotes) are forgiven', () => {
    const mapping = parseMappingFile(`{"version": 1, 'targets': [{"key_result": "1", "labels": ["x",],},]}`, 'okr.json');
    expect(mapping).toStrictEqual({ version: 1, targets: [{ key_result: '1', labels: ['x'] }] });
  });

  test('without defaults, the action defaults apply and source_title names each target repository', async () => {
    const mapping = await load('no-defaults.yml');
    expect(mapping.people).toBeUndefined();
    expect(resolveTargets(mapping, 'acme/home')).toStrictEqual([
      { ...CONTRACT_TARGETS[0], repository: 'acme/home', sourceTitle: 'GitHub · acme/home' },
      { ...CONTRACT_TARGETS[1], sourceTitle: 'GitHub · acme/gadgets' },
    ]);
  });

  test.each(['unquoted-ids.yml', 'unquoted-ids.json'])('%s: unquoted 19-digit ids keep every digit', async (name) => {
    const targets = resolveTargets(await load(name), 'acme/widgets');
    expect(targets.map((t) => [t.targetType, t.targetId, t.milestone, t.labels])).toStrictEqual([
      [3, '7041430377642082323', 12, []],
      [2, '9223372036854775807', undefined, ['okr/perf']],
    ]);
  });

  test("a target's own keys override the file's defaults, which override the action's", () => {
    const mapping = parseMappingFile(
      `version: 1
defaults:
  window: 2w
  period: month
  timezone: Asia/Shanghai
  status: none
  include: issues
  progress: completed
  open_items: 0
  closed_items: 5
  risk_tolerance: 30
  source_title: OKR bot
  language: zh
  chart: true
targets:
  - key_result: "1"
    milestone: 3
    window: since-last-record
    period: run
    timezone: Europe/Berlin
    status: delayed
    include: pulls
    progress: github
    open_items: 3
    closed_items: 7
    risk_tolerance: 2.5
    source_title: Team
    language: en
    chart: false
  - objective: "2"
    labels: [x]
`,
      'okr.yml',
    );
    const common = { name: undefined, repository: 'acme/widgets', due: undefined, start: undefined, docs: [] };
    expect(resolveTargets(mapping, 'acme/widgets')).toStrictEqual([
      {
        ...common,
        index: 0,
        targetId: '1',
        targetType: 3,
        milestone: 3,
        labels: [],
        window: 'since-last-record',
        period: 'run',
        timezone: 'Europe/Berlin',
        status: 'delayed',
        include: 'pulls',
        progress: 'github',
        openItems: 3,
        closedItems: 7,
        riskTolerance: 2.5,
        sourceTitle: 'Team',
        language: 'en',
        chart: false,
      },
      {
        ...common,
        index: 1,
        targetId: '2',
        targetType: 2,
        milestone: undefined,
        labels: ['x'],
        window: '2w',
        period: 'month',
        timezone: 'Asia/Shanghai',
        status: 'none',
        include: 'issues',
        progress: 'completed',
        openItems: 0,
        closedItems: 5,
        riskTolerance: 30,
        sourceTitle: 'OKR bot',
        language: 'zh',
        chart: true,
      },
    ]);
  });

  test('dates and instants, windows and time zones that exist are accepted', () => {
    const mapping = parseMappingFile(
      `version: 1
targets:
  - key_result: "1"
    milestone: v1
    start: 2024-02-29
    due: 2026-12-31T18:00:00+08:00
    window: 2026-11-01T00:00:00Z
    timezone: America/Argentina/Buenos_Aires
`,
      'okr.yml',
    );
    const [target] = resolveTargets(mapping, 'acme/widgets');
    expect([target?.start, target?.due, target?.window, target?.timezone]).toStrictEqual([
      '2024-02-29',
      '2026-12-31T18:00:00+08:00',
      '2026-11-01T00:00:00Z',
      'America/Argentina/Buenos_Aires',
    ]);
  });
});

describe('closest', () => {
  const KEYS = ['name', 'key_result', 'objective', 'milestone', 'labels', 'repository'];

  test('suggests the nearest known name, ignoring case', () => {
    expect(closest('lable', KEYS)).toStrictEqual(['labels']);
    expect(closest('Milestones', KEYS)).toStrictEqual(['milestone']);
    expect(closest('keyresult', KEYS)).toStrictEqual(['key_result']);
  });

  test('counts swapped neighbours as one edit', () => {
    expect(closest('lbael', ['lapel', 'label'], 1)).toStrictEqual(['label']);
  });

  test('orders by distance, keeps the given order on ties, and returns at most max', () => {
    expect(closest('V2.0', ['v3.0', 'v2.1', 'v2.0', 'v10.0'])).toStrictEqual(['v2.0', 'v3.0', 'v2.1']);
    expect(closest('v2', ['v1', 'v2', 'v3', 'v4'], 2)).toStrictEqual(['v2', 'v1']);
  });

  test('leaves out names that are not close, and repeats none', () => {
    expect(closest('owner', KEYS)).toStrictEqual([]);
    expect(closest('perf', ['okr/perf'])).toStrictEqual([]);
    expect(closest('bug', ['bugs', 'bugs', 'Bug'])).toStrictEqual(['Bug', 'bugs']);
  });
});

describe('JSON Schema of the mapping file', () => {
  test(`the committed ${MAPPING_SCHEMA_FILE} is up to date (npm run schema)`, () => {
    expect(readFileSync(join(process.cwd(), MAPPING_SCHEMA_FILE), 'utf8')).toBe(mappingJsonSchemaText());
  });

  test('describes ids as digits or integers, and the rules that relate keys of a target', () => {
    const schema = mappingJsonSchema() as {
      $schema: string;
      $id: string;
      required: string[];
      properties: { targets: { minItems: number; items: { properties: Record<string, unknown>; oneOf: unknown; anyOf: unknown } } };
    };
    expect([schema.$schema, schema.$id, schema.required]).toStrictEqual([
      'https://json-schema.org/draft/2020-12/schema',
      MAPPING_SCHEMA_URL,
      ['version', 'targets'],
    ]);
    const target = schema.properties.targets.items;
    expect(target.properties['key_result']).toStrictEqual({
      description: 'Feishu OKR id (digits). Quote it so no tool rounds it.',
      examples: ['7041430377642082323'],
      anyOf: [
        { type: 'string', pattern: '^\\d{1,32}$' },
        { type: 'integer', minimum: 0 },
      ],
    });
    expect(target.oneOf).toStrictEqual([{ required: ['key_result'] }, { required: ['objective'] }]);
    expect(target.anyOf).toStrictEqual([{ required: ['milestone'] }, { required: ['labels'] }, { required: ['project'] }, { required: ['query'] }, { required: ['metric'] }]);
    expect(schema.properties.targets.minItems).toBe(1);
  });
});
