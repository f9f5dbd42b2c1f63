// One calendar check for every date the user writes: the mapping file's dates and the as-of
// input. JavaScript's Date rolls 2026-02-30 over to March 2 and 24:00 over to the next day,
// so a text it accepts can still name a day or a time that does not exist.

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** YYYY-MM-DD, then optionally a time (after T or a space), its fraction, and a zone. */
const SHAPE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/;

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * Why a text that starts like a date names no real day or instant, in words such as
 * "February 2026 has 28 days"; undefined when it names one, or does not start like a date
 * (a window such as 7d is not this check's business).
 */
export function calendarProblem(text: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const match = SHAPE.exec(text);
  if (!match) return 'it is not written as an ISO-8601 date or instant';
  const [year, month, day, hour, minute, second, offsetHour, offsetMinute] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part))) as number[];
  if (month! < 1 || month! > 12) return `there is no month ${pad(month!)}`;
  if (day! < 1 || day! > daysIn(year!, month!)) return `${MONTHS[month! - 1]} ${year} has ${daysIn(year!, month!)} days`;
  if (hour! > 23 || minute! > 59 || second! > 59) return `${match[4]}:${match[5]}${match[6] ? `:${match[6]}` : ''} is not a time of day`;
  if (offsetHour! > 23 || offsetMinute! > 59) return `${pad(offsetHour!)}:${pad(offsetMinute!)} is not an offset from UTC`;
  return undefined;
}

/** False for a date-shaped text that names no real day or instant (2026-02-30, 2026-10-01T25:00). */
export const isRealDate = (text: string): boolean => calendarProblem(text) === undefined;
