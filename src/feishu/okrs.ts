import { z } from 'zod';

// The answers of the three read-only calls behind `list-okrs` (shared/spec/feishu-more-api-notes.md,
// §1-3). Only what the listing shows is required; the rest may be missing or null, as Feishu
// leaves out fields it has no value for.

const text = () => z.string().nullish();

/** `data` of GET /open-apis/okr/v1/periods. Times are epoch milliseconds as strings. */
export const PeriodsAnswerData = z.object({
  has_more: z.boolean().nullish(),
  page_token: z.string().nullish(),
  items: z
    .array(
      z.looseObject({
        id: z.string().min(1),
        zh_name: text(),
        en_name: text(),
        status: z.number().nullish(),
        period_start_time: z.string().regex(/^\d+$/),
        period_end_time: z.string().regex(/^\d+$/),
      }),
    )
    .nullish(),
});
export type PeriodsAnswerData = z.infer<typeof PeriodsAnswerData>;

const KeyResult = z.looseObject({ id: z.string().min(1), content: text() });

const Objective = z.looseObject({
  id: z.string().min(1),
  // 0: only the id is returned (the caller may not read the text).
  permission: z.number().nullish(),
  content: text(),
  kr_list: z.array(KeyResult).nullish(),
});

/** `data` of GET /open-apis/okr/v1/users/:user_id/okrs: one OKR per period. */
export const UserOkrsAnswerData = z.object({
  total: z.number().int().nullish(),
  okr_list: z
    .array(
      z.looseObject({
        id: z.string().min(1),
        period_id: z.string().nullish(),
        name: text(),
        objective_list: z.array(Objective).nullish(),
      }),
    )
    .nullish(),
});
export type UserOkrsAnswerData = z.infer<typeof UserOkrsAnswerData>;

/** `data` of POST /open-apis/contact/v3/users/batch_get_id. */
export const UserIdsAnswerData = z.object({
  user_list: z
    .array(
      z.looseObject({
        // Missing for an address Feishu does not know (or the app may not see).
        user_id: z.string().nullish(),
        email: z.string().nullish(),
      }),
    )
    .nullish(),
});

export interface OkrPeriod {
  id: string;
  zhName: string;
  enName: string;
  status: number | undefined;
  start: Date;
  end: Date;
}

export interface KeyResultText {
  id: string;
  content: string;
}

export interface ObjectiveText {
  id: string;
  /** Empty when Feishu gave only the id (permission 0). */
  content: string;
  keyResults: KeyResultText[];
}

export function toPeriod(item: NonNullable<PeriodsAnswerData['items']>[number]): OkrPeriod {
  return {
    id: item.id,
    zhName: item.zh_name ?? '',
    enName: item.en_name ?? '',
    status: item.status ?? undefined,
    start: new Date(Number(item.period_start_time)),
    end: new Date(Number(item.period_end_time)),
  };
}

export function toObjectives(okrs: NonNullable<UserOkrsAnswerData['okr_list']>): ObjectiveText[] {
  return okrs.flatMap((okr) =>
    (okr.objective_list ?? []).map((o) => ({
      id: o.id,
      content: o.content ?? '',
      keyResults: (o.kr_list ?? []).map((kr) => ({ id: kr.id, content: kr.content ?? '' })),
    })),
  );
}
