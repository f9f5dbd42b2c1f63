import { z } from 'zod';

// The body of Feishu's "create OKR progress record" call (v1, camelCase content), written
// from the official page. Top-level fields keep the page's required/optional marks. Inside
// the content the page marks everything optional; here a block or element must name its
// type and carry exactly the object of that type, and the leaves that give a node its
// meaning (text, urls, open_id, colour channels) are required, so a malformed record fails
// here rather than at Feishu. Unknown keys are rejected everywhere.

// The page's own pattern; without the `m` flag `.` and `$` also refuse line breaks.
const HttpUrl = z.string().regex(/^https?:\/\/.*$/, 'must be an http(s) URL (^https?://.*$)');

const Channel = z.number().int().min(0).max(255);

const Color = z
  .object({
    red: Channel,
    green: Channel,
    blue: Channel,
    alpha: z.number().min(0).max(1),
  })
  .strict();

const TextStyle = z
  .object({
    bold: z.boolean().optional(),
    strikeThrough: z.boolean().optional(),
    backColor: Color.optional(),
    textColor: Color.optional(),
    link: z.object({ url: HttpUrl }).strict().optional(),
  })
  .strict();

// Feishu rejects empty text runs.
const TextRun = z.object({ text: z.string().min(1), style: TextStyle.optional() }).strict();

const DocsLink = z.object({ url: HttpUrl, title: z.string().optional() }).strict();

const Person = z.object({ openId: z.string().min(1) }).strict();

export const ParagraphElement = z.discriminatedUnion('type', [
  z.object({ type: z.literal('textRun'), textRun: TextRun }).strict(),
  z.object({ type: z.literal('docsLink'), docsLink: DocsLink }).strict(),
  z.object({ type: z.literal('person'), person: Person }).strict(),
]);
export type ParagraphElement = z.infer<typeof ParagraphElement>;

const List = z
  .object({
    type: z.enum(['number', 'bullet', 'checkBox', 'checkedBox', 'indent']),
    indentLevel: z.number().int().min(1).max(16).optional(),
    number: z.number().int().optional(),
  })
  .strict();

const Paragraph = z
  .object({
    style: z.object({ list: List.optional() }).strict().optional(),
    elements: z.array(ParagraphElement).optional(),
  })
  .strict();

const Image = z
  .object({
    fileToken: z.string().min(1).optional(),
    src: z.string().min(1).optional(),
    width: z.number().positive().optional(),
    height: z.number().positive().optional(),
  })
  .strict();

const Gallery = z.object({ imageList: z.array(Image).min(1) }).strict();

export const ContentBlock = z.discriminatedUnion('type', [
  z.object({ type: z.literal('paragraph'), paragraph: Paragraph }).strict(),
  z.object({ type: z.literal('gallery'), gallery: Gallery }).strict(),
]);
export type ContentBlock = z.infer<typeof ContentBlock>;

export const RecordContent = z.object({ blocks: z.array(ContentBlock).optional() }).strict();
export type RecordContent = z.infer<typeof RecordContent>;

const PERCENT_LIMIT = 99999999999;

export const ProgressRate = z
  .object({
    percent: z
      .number()
      .min(-PERCENT_LIMIT)
      .max(PERCENT_LIMIT)
      .refine((p) => Math.round(p * 100) / 100 === p, 'must have at most two decimals')
      .optional(),
    status: z.literal([-1, 0, 1, 2]).optional(),
  })
  .strict();
export type ProgressRate = z.infer<typeof ProgressRate>;

export const CreateProgressRecordRequest = z
  .object({
    source_title: z.string().min(1),
    source_url: HttpUrl,
    source_url_pc: HttpUrl.optional(),
    source_url_mobile: HttpUrl.optional(),
    target_id: z.string().regex(/^\d+$/, 'must be a Feishu id made of digits'),
    target_type: z.literal([2, 3]),
    content: RecordContent,
    progress_rate: ProgressRate.optional(),
  })
  .strict();
export type CreateProgressRecordRequest = z.infer<typeof CreateProgressRecordRequest>;

/** The body of PUT /open-apis/okr/v1/progress_records/:progress_id. */
export const UpdateProgressRecordRequest = z
  .object({
    content: RecordContent,
    progress_rate: ProgressRate.optional(),
  })
  .strict();
export type UpdateProgressRecordRequest = z.infer<typeof UpdateProgressRecordRequest>;
