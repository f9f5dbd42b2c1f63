import type { FeishuClient } from './feishu/client.js';
import { AmbiguousWriteError, FeishuError } from './feishu/errors.js';
import type { ListedRecord } from './feishu/answers.js';
import { FOOTER_BRAND, parseRecordMarker } from './record/content.js';
import type { CreateProgressRecordRequest } from './record/request.js';

// Writing a target's record exactly once per period: find this action's record of the same
// repository and period and update it, otherwise create one; a create whose answer was lost
// is looked up before it is tried again.

export interface EarlierRecords {
  /** This action's record of the same repository and period, if any. */
  current: ListedRecord | undefined;
  /** This action's newest record of the same repository from an earlier period. */
  previous: ListedRecord | undefined;
  /** False when the app may not read progress records (then every run creates). */
  readable: boolean;
}

export interface Published {
  result: 'created' | 'updated';
  progressId: string;
}

/** Codes Feishu answers when the app lacks the scope to read progress records. */
const NO_READ_SCOPE = new Set<number | undefined>([1001002, 99991672]);

/**
 * The period of a record this action wrote for `repository`, or undefined. Only the last
 * paragraph, the footer, is read: a title elsewhere that imitates the marker is not ours.
 */
export function periodOfRecord(text: string, repository: string): string | undefined {
  const footer = text.slice(text.lastIndexOf('\n') + 1);
  // Without the brand the slice is the footer's last character, which is no marker.
  const marker = parseRecordMarker(footer.slice(footer.indexOf(FOOTER_BRAND)));
  return marker?.repository === repository ? marker.periodKey : undefined;
}

/**
 * Whether a record's headline, its first line, names the target: two targets of a mapping
 * may write to the same objective for the same repository, and each keeps its own record.
 */
export function namesTarget(text: string, displayName: string): boolean {
  const headline = text.slice(0, (text.indexOf('\n') + 1 || text.length + 1) - 1);
  // The headline leads with the name; records written before v1.1 end with it.
  return headline.startsWith(`${displayName} — `) || headline.endsWith(` · ${displayName}`);
}

/**
 * Whether record `a` was made after record `b`: by create_time, and, for records made in the
 * same millisecond, by the larger id (Feishu's ids seem to grow with time; unconfirmed, and only
 * such ties depend on it).
 */
export function isNewer(a: ListedRecord, b: ListedRecord): boolean {
  if (a.createTime !== b.createTime) return a.createTime > b.createTime;
  // Ids are digit strings: a longer one is the larger number.
  return a.id.length > b.id.length || (a.id.length === b.id.length && a.id > b.id);
}

export async function findEarlierRecords(
  feishu: FeishuClient,
  targetType: 2 | 3,
  targetId: string,
  repository: string,
  periodKey: string,
  warn: (message: string) => void,
  displayName?: string,
): Promise<EarlierRecords> {
  // Feishu documents no order for this list: every page is read and the records are
  // ordered here, never taken by their position.
  const ours: ListedRecord[] = [];
  try {
    for await (const record of feishu.listRecords(targetType, targetId)) {
      const period = periodOfRecord(record.text, repository);
      if (period === undefined || (displayName !== undefined && !namesTarget(record.text, displayName))) continue;
      ours.push(record);
    }
  } catch (error) {
    // Only Feishu's own answer tells a missing scope; any other error passes through.
    const code = error instanceof FeishuError ? error.code : undefined;
    if (NO_READ_SCOPE.has(code)) {
      warn(
        `The Feishu app may not read progress records (code ${code}), so this run cannot find the record it wrote earlier in this period and creates a new one. Grant the app the okr:okr.progress:readonly scope so that re-runs update instead.`,
      );
      return { current: undefined, previous: undefined, readable: false };
    }
    throw error;
  }
  const newestFirst = ours.sort((a, b) => (isNewer(a, b) ? -1 : isNewer(b, a) ? 1 : 0));
  const inPeriod = newestFirst.filter((record) => periodOfRecord(record.text, repository) === periodKey);
  const [current, ...others] = inPeriod;
  if (current && others.length) {
    const kind = targetType === 2 ? 'objective' : 'key result';
    warn(
      `The ${kind} ${targetId} has ${inPeriod.length} records of ${repository} for ${periodKey}${displayName !== undefined ? ` (${displayName})` : ''}: ` +
        `updating the newest, ${current.id}; the other${others.length === 1 ? '' : 's'} (${others.map((r) => r.id).join(', ')}) ${others.length === 1 ? 'is' : 'are'} left as ${others.length === 1 ? 'it is' : 'they are'}. ` +
        'Delete duplicates in Feishu OKR so that the history shows one record per period.',
    );
  }
  const previous = newestFirst.find((record) => periodOfRecord(record.text, repository) !== periodKey);
  return { current, previous, readable: true };
}

export async function publishRecord(
  feishu: FeishuClient,
  request: CreateProgressRecordRequest,
  repository: string,
  periodKey: string,
  earlier: EarlierRecords,
  log: (message: string) => void,
  displayName?: string,
): Promise<Published> {
  if (earlier.current) {
    await feishu.updateRecord(earlier.current.id, { content: request.content, progress_rate: request.progress_rate });
    return { result: 'updated', progressId: earlier.current.id };
  }
  try {
    const created = await feishu.createRecord(request);
    return { result: 'created', progressId: created.progressId };
  } catch (error) {
    if (!(error instanceof AmbiguousWriteError) || !earlier.readable) throw error;
    // The create may have been stored before the connection broke: look before writing again.
    log(`The create call's answer was lost (${error.message}); checking whether Feishu stored the record.`);
    const again = await findEarlierRecords(feishu, request.target_type, request.target_id, repository, periodKey, log, displayName);
    if (again.current) return { result: 'created', progressId: again.current.id };
    const created = await feishu.createRecord(request);
    return { result: 'created', progressId: created.progressId };
  }
}
