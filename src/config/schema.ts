import { z } from 'zod';
import { isRealDate } from '../calendar.js';
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

/** The name of a field of a GitHub project, as its board shows it. */
const ProjectFieldName = z.string().min(1).max(100);

export const DefaultsSchema = z
  .object({
    window: z.string().regex(WINDOW_PATTERN, { error: windowMessage }).refine(isRealDate, { error: windowMessage }).optional()
      .meta({ description: 'Which closed items the record lists: the last N days or weeks, since the previous record, or since a date.', examples: ['7d', '2w', 'since-last-record', '2026-11-01'] }),
    period: z.enum(['week', 'day', 'month', 'quarter', 'run']).optional()
      .meta({ description: 'A record per ISO week, day, month or calendar quarter (re-runs update it), or one per run. With goal, quarter also gives start.' }),
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
    status_field: ProjectFieldName.optional()
      .meta({ description: "With project: the single-select field whose value says whether an item is done.", examples: ['Status'] }),
    done: z.array(z.string().min(1)).min(1).optional()
      .meta({ description: 'With project: the values of status_field that mean done. Default: [Done].', examples: [['Done', 'Shipped']] }),
    iteration_field: ProjectFieldName.optional()
      .meta({ description: 'With project and iteration: the iteration field.', examples: ['Iteration', 'Sprint'] }),
    estimate_field: ProjectFieldName.optional()
      .meta({ description: "With project: a number field whose values are the items' points (percent = done points / all points).", examples: ['Estimate', 'Points'] }),
    weights: z.record(z.string().min(1), z.number().positive()).optional()
      .meta({ description: 'Label → points: percent by points; an item takes the largest weight among its labels, else default_weight.', examples: [{ 'size/S': 1, 'size/M': 3, 'size/L': 8 }] }),
    default_weight: z.number().positive().optional()
      .meta({ description: 'Points of an item that carries none of the weights labels (with weights).', examples: [1, 0.5] }),
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
  status_field: 'Status',
  iteration_field: 'Iteration',
  default_weight: 1,
} as const;

/** The values of `status_field` that mean done, when `done` is not set. */
export const DEFAULT_DONE = ['Done'];

const GITHUB_LOGIN = /^[A-Za-z\d](?:[A-Za-z\d]|-(?=[A-Za-z\d])){0,38}(?:\[bot\])?$/;

const loginMessage = (iss: { input?: unknown }): string =>
  `${describeValue(iss.input)} is not a GitHub login; write the login as it appears in https://github.com/<login>`;

/** A file inside the workspace, by its path alone (links are checked when it is read). */
function isInsideWorkspace(file: string): boolean {
  const parts = file.replace(/\\/g, '/').split('/');
  let depth = 0;
  for (const part of parts) {
    if (part === '..') depth--;
    else if (part !== '.' && part !== '') depth++;
    if (depth < 0) return false;
  }
  return !/^(?:\/|[A-Za-z]:)/.test(file) && depth > 0;
}

export const MetricSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][\w.-]{0,63}$/, {
      error: (iss) => `must be a name of letters, digits, _ . or - that starts with a letter (the name in the metrics input), not ${describeValue(iss.input)}`,
    }).meta({ description: 'Name of the value in the metrics input (name=value lines).', examples: ['coverage'] }),
    start: z.number().meta({ description: 'The value at the start: 0 %.', examples: [60] }),
    target: z.number().meta({ description: 'The value to reach: 100 %. Below start when lower is better.', examples: [80, 200] }),
    unit: z.string().max(20).optional().meta({ description: 'Unit shown after the values.', examples: ['%', 'ms'] }),
    file: z.string().min(1).refine(isInsideWorkspace, {
      error: (iss) => `must be a path inside the workspace, relative to it, such as coverage/coverage-summary.json, not ${describeValue(iss.input)}`,
    }).optional().meta({ description: 'A JSON file in the workspace to read the value from, instead of the metrics input.', examples: ['coverage/coverage-summary.json'] }),
    path: z.string().regex(/^[^.]+(?:\.[^.]+)*$/, {
      error: (iss) => `must be a dotted path to a number in the file, such as total.lines.pct, not ${describeValue(iss.input)}`,
    }).optional().meta({ description: 'Dotted path to the value in file.', examples: ['total.lines.pct'] }),
  })
  .strict()
  .meta({ description: 'A number key result: percent = (value − start) / (target − start) × 100, never below 0. The value comes from the metrics input or from file and path.' });

export const DocSchema = z
  .object({
    url: z.string().regex(/^https:\/\/\S+$/, {
      error: (iss) => `must be the https:// link of a Feishu document, not ${describeValue(iss.input)}`,
    }).meta({ description: 'Link of the Feishu document.', examples: ['https://acme.feishu.cn/docx/AbCdEf'] }),
    title: z.string().min(1).max(200).meta({ description: 'Title shown for the link.', examples: ['Perf plan'] }),
  })
  .strict();

export const ProjectSchema = z
  .object({
    owner: z.string().regex(GITHUB_LOGIN, {
      error: (iss) => `must be the login of the organisation or user that owns the project, as in https://github.com/orgs/<owner>/projects/5, not ${describeValue(iss.input)}`,
    }).meta({ description: 'Login of the organisation or user that owns the project.', examples: ['acme'] }),
    number: z.number().int().positive().meta({ description: "The project's number, as in https://github.com/orgs/acme/projects/<number>.", examples: [5] }),
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
  due: DateOrInstant.optional().meta({ description: "Due date for status auto (to the end of its day in timezone); wins over the milestone's due date.", examples: ['2026-12-31'] }),
  start: DateOrInstant.optional().meta({ description: "Start date. Default: the milestone's creation date.", examples: ['2026-10-01'] }),
  project: ProjectSchema.optional()
    .meta({ description: "A GitHub project (organisation's or user's) whose issues, pull requests and draft issues the target counts. The token needs read:project.", examples: [{ owner: 'acme', number: 5 }] }),
  iteration: z.string().min(1).max(200).optional()
    .meta({ description: "With project: only the items of one iteration of iteration_field: current (the one whose dates contain today) or an iteration's title.", examples: ['current', 'Sprint 12'] }),
  docs: z.array(DocSchema).max(20).optional().meta({ description: 'Feishu documents to attach as docsLink elements.', examples: [[{ url: 'https://acme.feishu.cn/docx/AbCdEf', title: 'Perf plan' }]] }),
  query: z.string().trim().min(1).max(1000).optional()
    .meta({ description: "GitHub issue-search syntax, instead of milestone and labels; may span repositories. The target's repository is added when it names no repo:, org: or user:.", examples: ['org:acme label:bug is:issue'] }),
  assignees: z.array(z.string().regex(GITHUB_LOGIN, { error: loginMessage })).min(1).max(10).optional()
    .meta({ description: 'Only items assigned to any of these logins (narrows milestone, labels or query).', examples: [['alice', 'bob']] }),
  authors: z.array(z.string().regex(GITHUB_LOGIN, { error: loginMessage })).min(1).max(10).optional()
    .meta({ description: 'Only items opened by any of these logins (narrows milestone, labels or query).', examples: [['carol']] }),
  goal: z.number().int().positive().optional()
    .meta({ description: 'A count key result: percent = selected items closed since start / goal (not capped). Needs start, or period: quarter.', examples: [30] }),
  metric: MetricSchema.optional(),
}).strict();


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
    problems.push(...kindProblems(target, at, isMap(input.defaults) ? input.defaults : {}));
    // The keys that say how to read a project mean nothing without one (in defaults they may wait for one).
    for (const key of ['iteration', ...PROJECT_SETTINGS]) {
      if (has(key) && !has('project')) problems.push({ path: [...at, key], message: 'applies to a GitHub project only; set project: {owner, number}, or remove it' });
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

const PROJECT_SETTINGS = ['status_field', 'done', 'iteration_field', 'estimate_field'];

/** How a target reads a GitHub project (mapping keys project, status_field, done, iteration, iteration_field, estimate_field). */
export interface ProjectTarget {
  owner: string;
  number: number;
  statusField: string;
  done: string[];
  /** `current`, an iteration's title, or undefined for every item. */
  iteration: string | undefined;
  iterationField: string;
  estimateField: string | undefined;
}

/** The rules of v1.1's kinds: which keys go together (see "More ways to select and count"). */
function kindProblems(target: Record<string, unknown>, at: (string | number)[], defaults: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const has = (key: string): boolean => target[key] !== undefined;
  if (has('metric')) {
    const selecting = ['milestone', 'labels', 'query', 'project', 'assignees', 'authors', 'goal', 'weights'].filter(has);
    for (const key of selecting) problems.push({ path: [...at, key], message: 'a metric target counts no issues; remove this key, or make a separate target for it' });
    const metric = target['metric'];
    if (isMap(metric)) {
      if (typeof metric['start'] === 'number' && metric['start'] === metric['target']) {
        problems.push({ path: [...at, 'metric', 'target'], message: `must differ from start (${metric['start']}); percent runs from start (0 %) to target (100 %)` });
      }
      if ((metric['file'] === undefined) !== (metric['path'] === undefined)) {
        problems.push({ path: [...at, 'metric', metric['file'] === undefined ? 'path' : 'file'], message: 'set file and path together (a JSON file and the dotted path of the value in it), or neither to read the metrics input' });
      }
    }
    return problems;
  }
  if (has('query')) {
    for (const key of ['milestone', 'labels', 'project'].filter(has)) {
      problems.push({ path: [...at, key], message: `a target selects by query or by milestone and labels, not both; write it into the query (such as ${key === 'milestone' ? 'milestone:"v2.0"' : 'label:bug'})` });
    }
  } else if (!has('milestone') && !has('labels') && !has('project')) {
    problems.push({ path: at, message: 'set milestone, labels or both to choose the issues and pull requests this target counts (or a query or a project; or a metric for a number)' });
  }
  if (has('goal') && has('weights')) problems.push({ path: [...at, 'weights'], message: 'a goal counts items, not points; remove weights or goal' });
  if (has('goal') && !has('start') && (target['period'] ?? defaults['period']) !== 'quarter') {
    problems.push({ path: [...at, 'goal'], message: 'needs start (the date from which closed items count), or period: quarter to count from the start of the quarter' });
  }
  return problems;
}

/** A metric key result: a value between start and target. */
export type Metric = z.output<typeof MetricSchema>;

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
  period: 'week' | 'day' | 'month' | 'quarter' | 'run';
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
  /** Set when the target counts a GitHub project's items. */
  project?: ProjectTarget;
  // v1.1's kinds; optional, so that a target of v1's keys alone reads as it did.
  /** GitHub issue-search syntax, as written (the repository is added where it names none). */
  query?: string;
  assignees?: string[];
  authors?: string[];
  goal?: number;
  /** Label → points, when progress is by points. */
  weights?: Record<string, number>;
  defaultWeight?: number;
  metric?: Metric;
}
