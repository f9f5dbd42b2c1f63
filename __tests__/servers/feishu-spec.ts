import { z } from 'zod';

// The fake Feishu server's own reading of the "create OKR progress record" page
// (shared/spec/feishu-okr-create-progress-record.md). It is written from the page, not from
// the action's code, so that a mistake in the action's request schema cannot hide itself.
// Where the page marks a field optional but the object means nothing without it (the text
// of a text run, the object a block's `type` names), the fake refuses its absence.

export const USER_ID_TYPES = ['open_id', 'union_id', 'user_id'] as const;
export type UserIdType = (typeof USER_ID_TYPES)[number];

const URL_RULE = /^https?:\/\/.*$/;
const urlField = () => z.string().regex(URL_RULE, 'must match ^https?://.*$');

// How a mentioned user's id must look for each user_id_type of the request.
const PERSON_ID_RULES: Record<UserIdType, { pattern: RegExp; says: string }> = {
  open_id: { pattern: /^ou_\w+$/, says: 'must be an open_id (ou_…) because user_id_type is open_id' },
  union_id: { pattern: /^on_\w+$/, says: 'must be a union_id (on_…) because user_id_type is union_id' },
  user_id: { pattern: /^\S+$/, says: 'must be a user_id' },
};

const channel = () => z.int().min(0, 'must be between 0 and 255').max(255, 'must be between 0 and 255');

const Color = z.strictObject({
  red: channel().optional(),
  green: channel().optional(),
  blue: channel().optional(),
  alpha: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
});

const TextStyle = z.strictObject({
  bold: z.boolean().optional(),
  strikeThrough: z.boolean().optional(),
  backColor: Color.optional(),
  textColor: Color.optional(),
  link: z.strictObject({ url: urlField() }).optional(),
});

const TextRun = z.strictObject({
  text: z.string().min(1, 'must not be empty'),
  style: TextStyle.optional(),
});

const DocsLink = z.strictObject({
  url: urlField(),
  title: z.string().optional(),
});

const LIST_TYPES = ['number', 'bullet', 'checkBox', 'checkedBox', 'indent'] as const;

const ListStyle = z.strictObject({
  type: z.enum(LIST_TYPES, `must be one of ${LIST_TYPES.join(', ')}`),
  indentLevel: z.int().min(1, 'must be between 1 and 16').max(16, 'must be between 1 and 16').optional(),
  number: z.int().min(1, 'must be 1 or more').optional(),
});

const Image = z.strictObject({
  fileToken: z.string().min(1, 'must not be empty'),
  src: urlField().optional(),
  width: z.number().positive('must be above 0').optional(),
  height: z.number().positive('must be above 0').optional(),
});

const Gallery = z.strictObject({ imageList: z.array(Image).min(1, 'must list at least one image') });

const TWO_DECIMALS = /^-?\d+(?:\.\d{1,2})?$/;

export const ProgressRate = z.strictObject({
  percent: z
    .number()
    .min(-99999999999, 'must be between -99999999999 and 99999999999')
    .max(99999999999, 'must be between -99999999999 and 99999999999')
    .refine((n) => TWO_DECIMALS.test(String(n)), 'must have at most two decimals')
    .optional(),
  status: z.literal([-1, 0, 1, 2], 'must be -1 (none), 0 (normal), 1 (at risk) or 2 (delayed)').optional(),
});
export type ProgressRate = z.infer<typeof ProgressRate>;

function contentSchema(userIdType: UserIdType) {
  const rule = PERSON_ID_RULES[userIdType];
  const Person = z.strictObject({ openId: z.string().regex(rule.pattern, rule.says) });
  const Element = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('textRun'), textRun: TextRun }),
    z.strictObject({ type: z.literal('docsLink'), docsLink: DocsLink }),
    z.strictObject({ type: z.literal('person'), person: Person }),
  ]);
  const Paragraph = z.strictObject({
    style: z.strictObject({ list: ListStyle.optional() }).optional(),
    elements: z.array(Element).optional(),
  });
  const Block = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('paragraph'), paragraph: Paragraph }),
    z.strictObject({ type: z.literal('gallery'), gallery: Gallery }),
  ]);
  return z.strictObject({ blocks: z.array(Block).min(1, 'must hold at least one block') });
}

export type ProgressContent = z.infer<ReturnType<typeof contentSchema>>;
export type ContentBlock = ProgressContent['blocks'][number];
export type ContentElement = NonNullable<Extract<ContentBlock, { type: 'paragraph' }>['paragraph']['elements']>[number];

function createBodySchema(userIdType: UserIdType) {
  return z.strictObject({
    source_title: z.string().min(1, 'must not be empty'),
    source_url: urlField(),
    target_id: z.string().regex(/^\d+$/, 'must be the id of an objective or key result, in digits'),
    target_type: z.literal([2, 3], 'must be 2 (objective) or 3 (key result)'),
    content: contentSchema(userIdType),
    source_url_pc: urlField().optional(),
    source_url_mobile: urlField().optional(),
    progress_rate: ProgressRate.optional(),
  });
}
export type CreateBody = z.infer<ReturnType<typeof createBodySchema>>;

function updateBodySchema(userIdType: UserIdType) {
  return z.strictObject({
    content: contentSchema(userIdType),
    progress_rate: ProgressRate.optional(),
  });
}
export type UpdateBody = z.infer<ReturnType<typeof updateBodySchema>>;

/** The body as parsed, or every problem found, each naming its field. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export function checkCreateBody(body: unknown, userIdType: UserIdType): Checked<CreateBody> {
  return check(createBodySchema(userIdType), body);
}

export function checkUpdateBody(body: unknown, userIdType: UserIdType): Checked<UpdateBody> {
  return check(updateBodySchema(userIdType), body);
}

function check<T>(schema: z.ZodType<T>, body: unknown): Checked<T> {
  const parsed = schema.safeParse(body, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: parsed.error.issues.flatMap(describeIssue) };
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  const where = fieldPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `${fieldPath([...issue.path, key])}: unknown field`);
    case 'invalid_type':
      if (issue.input === undefined) return [`${where}: is required`];
      return [`${where}: must be ${withArticle(issue.expected === 'int' ? 'integer' : issue.expected)}, not ${kindOf(issue.input)}`];
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator !== undefined) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return [`${where}: must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`];
      }
      return [`${where}: ${issue.message}`];
    default:
      return [`${where}: ${issue.message}`];
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return `the number ${value}`;
  return withArticle(typeof value);
}

function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** `content.blocks[0].paragraph`: the field as a reader of the API page would name it. */
export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}
