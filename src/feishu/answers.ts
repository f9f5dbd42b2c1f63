import { z } from 'zod';

// The parts of Feishu's answers that the action relies on. Ids stay strings: a 19-digit id
// that arrived as a JSON number would already be rounded, so a number there fails the parse.

/** POST /open-apis/auth/v3/tenant_access_token/internal */
export const TokenAnswer = z.object({
  tenant_access_token: z.string().min(1),
  expire: z.number(),
});

// v1 content is camelCase (`textRun`); only what is needed to read its text is typed.
const RecordContent = z.looseObject({
  blocks: z
    .array(
      z.looseObject({
        paragraph: z
          .looseObject({
            elements: z.array(z.looseObject({ textRun: z.looseObject({ text: z.string().nullish() }).nullish() })).nullish(),
          })
          .nullish(),
      }),
    )
    .nullish(),
});

/** `data` of POST, GET and PUT /open-apis/okr/v1/progress_records. */
export const RecordAnswerData = z.object({
  progress_id: z.string().min(1),
  modify_time: z.string(),
  content: RecordContent.nullish(),
  progress_rate: z.looseObject({ percent: z.number().nullish(), status: z.number().nullish() }).nullish(),
});

/** `data` of POST /open-apis/okr/v1/images/upload. */
export const ImageAnswerData = z.object({
  file_token: z.string().min(1),
  url: z.string().min(1),
});

// v2 content is the snake_case dialect (`text_run`).
const ListedContent = z.looseObject({
  blocks: z
    .array(
      z.looseObject({
        block_element_type: z.string().nullish(),
        paragraph: z
          .looseObject({
            elements: z
              .array(
                z.looseObject({
                  paragraph_element_type: z.string().nullish(),
                  text_run: z.looseObject({ text: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
      }),
    )
    .nullish(),
});
export type ListedContent = z.infer<typeof ListedContent>;

// Times are documented as millisecond strings; a plain number is just as exact at this size.
const Millis = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform(Number);

const ListedItem = z.object({
  id: z.string().min(1),
  create_time: Millis,
  update_time: Millis,
  entity_type: z.number().optional(),
  entity_id: z.string().optional(),
  content: ListedContent.nullish(),
  progress_rate: z
    .looseObject({ progress_percent: z.number().nullish(), progress_status: z.number().nullish() })
    .nullish(),
});

/** `data` of GET /open-apis/okr/v2/{objectives|key_results}/:id/progresses */
export const ListAnswerData = z.object({
  has_more: z.boolean().nullish(),
  page_token: z.string().nullish(),
  items: z.array(ListedItem).nullish(),
});

/** What a create or update tells the caller. */
export interface RecordAnswer {
  progressId: string;
  modifyTime: string;
}

/** A record as read back with GET. */
export interface StoredRecord extends RecordAnswer {
  text: string;
  percent?: number;
  status?: number;
}

/** One record of a target as the v2 list gives it. */
export interface ListedRecord {
  id: string;
  /** ms since the epoch */
  createTime: number;
  updateTime: number;
  text: string;
  percent?: number;
  status?: number;
}

type Paragraphs = ReadonlyArray<{ paragraph?: { elements?: ReadonlyArray<Record<string, unknown>> | null } | null }>;

// Runs of one paragraph are joined as they are; paragraphs are separated by newlines.
function joinText(blocks: Paragraphs | null | undefined, runKey: 'textRun' | 'text_run'): string {
  const lines: string[] = [];
  for (const block of blocks ?? []) {
    if (!block.paragraph) continue;
    let line = '';
    for (const element of block.paragraph.elements ?? []) {
      const run = element[runKey] as { text?: string | null } | null | undefined;
      line += run?.text ?? '';
    }
    lines.push(line);
  }
  return lines.join('\n');
}

/** The text of a v2 (snake_case) record content: every text run, one line per paragraph. */
export function textOfListedContent(content: ListedContent | null | undefined): string {
  return joinText(content?.blocks, 'text_run');
}

/** The same for the v1 (camelCase) content that GET /okr/v1/progress_records returns. */
export function textOfRecordContent(content: z.infer<typeof RecordContent> | null | undefined): string {
  return joinText(content?.blocks, 'textRun');
}

export function toRecordAnswer(data: z.infer<typeof RecordAnswerData>): RecordAnswer {
  return { progressId: data.progress_id, modifyTime: data.modify_time };
}

export function toStoredRecord(data: z.infer<typeof RecordAnswerData>): StoredRecord {
  return {
    ...toRecordAnswer(data),
    text: textOfRecordContent(data.content),
    ...(data.progress_rate?.percent != null && { percent: data.progress_rate.percent }),
    ...(data.progress_rate?.status != null && { status: data.progress_rate.status }),
  };
}

export function toListedRecord(item: z.infer<typeof ListedItem>): ListedRecord {
  return {
    id: item.id,
    createTime: item.create_time,
    updateTime: item.update_time,
    text: textOfListedContent(item.content),
    ...(item.progress_rate?.progress_percent != null && { percent: item.progress_rate.progress_percent }),
    ...(item.progress_rate?.progress_status != null && { status: item.progress_rate.progress_status }),
  };
}
