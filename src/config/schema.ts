import { z } from 'zod';
import { closest } from './closest.js';

// The mapping file (contract: "The mapping file"). One schema validates the file, gives the
// TypeScript types and generates schema/okr-progress.schema.json. Messages say what is wrong
// and how to fix it; they follow the key's path, as in `targets[1].window: must be …`.

/** A value as a message shows it: text in quotes (shortened), anything else as written. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 59)}…` : value);
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

const idMessage = (iss: { input?: unknown }): string =>
  typeof iss.input === 'number'
    ? // YAML reads 7041430377642082323.0 or 7.041430377642082e18 as a float, which has already lost digits.
      `must be the digits of a Feishu OKR id, not a number with a fraction or an exponent (read as ${describeValue(iss.input)}, which loses digits); write the id in quotes, such as "7041430377642082323"`
    : `must be a Feishu OKR id: the digits of the objective or key result, such as "7041430377642082323", not ${describeValue(iss.input)}`;

// Feishu ids are 19-digit numbers. YAML is parsed with big integers kept exact, so an
// unquoted id arrives here as a bigint and is turned back into its digits.
const FeishuId = z
  .union([z.string().regex(/^\d{1,32}$/, { error: idMessage }), z.bigint().min(0n, { error: idMessage })], { error: idMessage })
  .meta({ description: 'Feishu OKR id (digits). Quote it so no tool rounds it.', examples: ['7041430377642082323'] })
  .transform((v) => String(v));

/** A calendar date, optionally with a time and a zone: 2026-12-31, 2026-12-31T18:00:00Z. */
const DATE_OR_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export const WINDOW_PATTERN = /^(?:\d+[dw]|since-last-record|\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?)$/;

/** False for a date-shaped text that names no real day or instant (2026-02-30, 2026-10-01T25:00). */
function isRealDate(text: string): boolean {
  if (!DATE_OR_INSTANT.test(text)) return true;
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  return text.length === 10 || !Number.isNaN(Date.parse(text));
}

const dateMessage = (iss: { input?: unknown }): string =>
  `must be an ISO-8601 date such as 2026-12-31 (or an instant such as 2026-12-31T18:00:00Z), not ${describeValue(iss.input)}`;

const DateOrInstant = z.string().regex(DATE_OR_INSTANT, { error: dateMessage }).refine(isRealDate, { error: dateMessage });

const windowMessage = (iss: { input?: unknown }): string =>
  `must be <N>d, <N>w (such as 7d or 2w), since-last-record, or an ISO-8601 date or instant such as 2026-11-01, not ${describeValue(iss.input)}`;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function timeZoneMessage(iss: { input?: unknown }): string {
  const [suggestion] = closest(String(iss.input), Intl.supportedValuesOf('timeZone'), 1);
  const fix = suggestion ? `did you mean "${suggestion}"?` : 'use a name such as UTC, Europe/Berlin or Asia/Shanghai';
  return `${describeValue(iss.input)} is not an IANA time zone; ${fix}`;
}

export const DefaultsSchema = z
  .object({
    window: z.string().regex(WINDOW_PATTERN, { error: windowMessage }).refine(isRealDate, { error: windowMessage }).optional()
      .meta({ description: 'Which closed items the record lists: the last N days or weeks, since the previous record, or since a date.', examples: ['7d', '2w', 'since-last-record', '2026-11-01'] }),
    period: z.enum(['week', 'day', 'month', 'run']).optional()
      .meta({ description: 'A record per ISO week, day or month (re-runs update it), or one per run.' }),
    timezone: z.string().refine(isTimeZone, { error: timeZoneMessage }).optional()
      .meta({ description: 'IANA time zone for period boundaries and dates shown.', examples: ['UTC', 'Asia/Shanghai'] }),
    status: z.enum(['auto', 'none', 'normal', 'at-risk', 'delayed']).optional()
      .meta({ description: 'auto computes the status from due date and progress; the others force it.' }),
    include: z.enum(['all', 'issues', 'pulls']).optional().meta({ description: 'Which kinds of items count.' }),
    progress: z.enum(['github', 'completed']).optional()
      .meta({ description: 'github: closed / all, like the milestone bar. completed: completed issues and merged pull requests only.' }),
    open_items: z.number().int().min(0).max(100).optional().meta({ description: 'How many still-open items to list (0: none).', examples: [10, 0] }),
    closed_items: z.number().int().min(0).max(500).optional().meta({ description: 'How many closed items to list; the rest are summarised with a link.', examples: [50] }),
    risk_tolerance: z.number().min(0).max(100).optional()
      .meta({ description: 'Percentage points behind schedule before status auto says at risk.', examples: [15] }),
    source_title: z.string().min(1).max(100).optional().meta({ description: 'Source title shown in Feishu. Default: "GitHub · <owner>/<repo>".', examples: ['GitHub · acme/widgets'] }),
    language: z.enum(['en', 'zh']).optional().meta({ description: 'Language of the words the action writes in the record.' }),
    chart: z.boolean().optional()
      .meta({ description: 'Add a burn-up chart (done and total items over time, due date marked) to the record as a picture. Needs the okr:okr.progress.file:upload scope.', examples: [true] }),
  })
  .strict();

export const DEFAULTS = {
  window: '7d',
  period: 'week',
  timezone: 'UTC',
  status: 'auto',
  include: 'all',
  progress: 'github',
  open_items: 10,
  closed_items: 50,
  risk_tolerance: 15,
  language: 'en',
  chart: false,
} as const;

export const DocSchema = z
  .object({
    url: z.string().regex(/^https:\/\/\S+$/, {
      error: (iss) => `must be the https:// link of a Feishu document, not ${describeValue(iss.input)}`,
    }).meta({ description: 'Link of the Feishu document.', examples: ['https://acme.feishu.cn/docx/AbCdEf'] }),
    title: z.string().min(1).max(200).meta({ description: 'Title shown for the link.', examples: ['Perf plan'] }),
  })
  .strict();

export const TargetSchema = DefaultsSchema.extend({
  name: z.string().min(1).max(200).optional().meta({ description: 'Display name (default: milestone title / labels).', examples: ['Launch v2'] }),
  key_result: FeishuId.optional(),
  objective: FeishuId.optional(),
  milestone: z
    .union([z.string().min(1), z.number().int().positive()], {
      error: (iss) => `must be a milestone title such as "v2.0" or a milestone number such as 3, not ${describeValue(iss.input)}`,
    })
    .optional()
    .meta({ description: 'Milestone title or number.', examples: ['v2.0', 3] }),
  labels: z.array(z.string().min(1)).min(1).optional().meta({ description: 'Items with any of these labels.', examples: [['okr/perf', 'area: api']] }),
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, {
    error: (iss) => `must be owner/name, such as acme/gadgets, not ${describeValue(iss.input)}`,
  }).optional()
    .meta({ description: 'Default: the workflow repository.', examples: ['acme/gadgets'] }),
  due: DateOrInstant.optional().meta({ description: 'Due date where no milestone gives one.', examples: ['2026-12-31'] }),
  start: DateOrInstant.optional().meta({ description: "Start date. Default: the milestone's creation date.", examples: ['2026-10-01'] }),
  docs: z.array(DocSchema).max(20).optional().meta({ description: 'Feishu documents to attach as docsLink elements.', examples: [[{ url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' }]] }),
}).strict();

const GITHUB_LOGIN = /^[A-Za-z\d](?:[A-Za-z\d]|-(?=[A-Za-z\d])){0,38}(?:\[bot\])?$/;

const notAMapMessage = (iss: { code?: string; input?: unknown }): string | undefined =>
  iss.code === 'invalid_type' ? `the file must hold a map with the keys version and targets, not ${describeValue(iss.input)}` : undefined;

export const MappingFileSchema = z
  .object(
    {
      version: z
        .literal(1, {
          error: (iss) =>
            iss.input === undefined
              ? 'is missing; start the file with "version: 1"'
              : `must be 1, the only version of the mapping file so far, not ${describeValue(iss.input)}`,
        })
        .meta({ description: 'Version of the mapping file format: 1.', examples: [1] }),
      defaults: DefaultsSchema.optional().meta({ description: 'Settings for every target; any of them can be overridden per target.', examples: [{ window: '7d', period: 'week', timezone: 'UTC' }] }),
      people: z
        .record(
          z.string().regex(GITHUB_LOGIN, {
            error: (iss) => `${describeValue(iss.input)} is not a GitHub login; write the login as it appears in https://github.com/<login>`,
          }),
          z.string().regex(/^ou_\w+$/, {
            error: (iss) => `must be the person's Feishu open_id, which starts with ou_, not ${describeValue(iss.input)}`,
          }),
        )
        .optional()
        .meta({ description: 'GitHub login → Feishu open_id, shown as an @mention.', examples: [{ octocat: 'ou_3bbe8a09c20e89cce9bff989ed840674' }] }),
      targets: z
        .array(TargetSchema, {
          error: (iss) =>
            iss.input === undefined ? 'is missing; add a list of targets, each linking a milestone or labels to a key_result or objective' : undefined,
        })
        .min(1, 'must list at least one target, each linking a milestone or labels to a key_result or objective')
        .meta({ description: 'Objectives and key results to write progress records on, each with the milestone and/or labels that select its issues and pull requests.' }),
    },
    { error: notAMapMessage },
  )
  .strict();

export type MappingFile = z.output<typeof MappingFileSchema>;
export type TargetEntry = z.output<typeof TargetSchema>;

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Rules that relate several keys, checked on the parsed file whether or not the schema
 * accepted it: zod skips refinements once a field has failed, and a user should see every
 * problem at once. Each problem carries the path of the key it is about.
 */
export function crossFieldProblems(input: unknown): { path: (string | number)[]; message: string }[] {
  if (!isMap(input) || !Array.isArray(input.targets)) return [];
  const problems: { path: (string | number)[]; message: string }[] = [];
  const firstWithName = new Map<string, number>();
  input.targets.forEach((target: unknown, index) => {
    if (!isMap(target)) return;
    const at = ['targets', index];
    const has = (key: string): boolean => target[key] !== undefined;
    const ids = Object.keys(target).filter((key) => key === 'key_result' || key === 'objective');
    const oneOf = 'set exactly one of key_result (a key result, type 3) or objective (type 2)';
    if (ids.length === 0) problems.push({ path: at, message: oneOf });
    if (ids.length === 2) problems.push({ path: [...at, ids[1]!], message: `${oneOf}, not both` });
    if (!has('milestone') && !has('labels')) {
      problems.push({ path: at, message: 'set milestone, labels or both to choose the issues and pull requests this target counts' });
    }
    const { due, start, name } = target;
    if (typeof due === 'string' && typeof start === 'string' && Date.parse(due) < Date.parse(start)) {
      problems.push({ path: [...at, 'due'], message: `is before start (${start}); set a due date on or after the start` });
    }
    if (typeof name === 'string') {
      const first = firstWithName.get(name);
      if (first === undefined) firstWithName.set(name, index);
      else problems.push({ path: [...at, 'name'], message: `"${name}" is already the name of targets[${first}]; give each target its own name` });
    }
  });
  return problems;
}

/** A target with every default applied: what the rest of the action works with. */
export interface Target {
  index: number;
  name: string | undefined;
  targetId: string;
  targetType: 2 | 3;
  repository: string;
  milestone: string | number | undefined;
  labels: string[];
  due: string | undefined;
  start: string | undefined;
  docs: { url: string; title: string }[];
  window: string;
  period: 'week' | 'day' | 'month' | 'run';
  timezone: string;
  status: 'auto' | 'none' | 'normal' | 'at-risk' | 'delayed';
  include: 'all' | 'issues' | 'pulls';
  progress: 'github' | 'completed';
  openItems: number;
  closedItems: number;
  riskTolerance: number;
  sourceTitle: string;
  language: 'en' | 'zh';
  chart: boolean;
}
