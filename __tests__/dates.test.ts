import { describe, expect, it } from '@jest/globals';
import { calendarProblem, isRealDate } from '../src/calendar.js';
import { InputError, parseAsOf } from '../src/inputs.js';
import { parseMappingFile } from '../src/config/load.js';
import { ConfigError } from '../src/config/file.js';
import { localDate, parseDateOrInstant, scheduleOf, statusOf, zonedInstant, zonedParts } from '../src/progress.js';
import { makeTarget } from './fixtures/target.js';

// Dates as the user writes them, and days as the clocks of a time zone show them.

const iso = (at: Date): string => at.toISOString();

describe('the calendar check', () => {
  it.each([
    ['2026-02-30', 'February 2026 has 28 days'],
    ['2026-02-30T12:00:00Z', 'February 2026 has 28 days'],
    ['2028-02-30', 'February 2028 has 29 days'],
    ['2026-04-31T00:00:00+02:00', 'April 2026 has 30 days'],
    ['2026-00-10', 'there is no month 00'],
    ['2026-13-01T00:00:00Z', 'there is no month 13'],
    ['2026-12-00', 'December 2026 has 31 days'],
    ['2026-10-01T25:00', '25:00 is not a time of day'],
    ['2026-10-01T24:00:00Z', '24:00:00 is not a time of day'],
    ['2026-10-01T12:60:00Z', '12:60:00 is not a time of day'],
    ['2026-10-01T12:00:60Z', '12:00:60 is not a time of day'],
    ['2026-10-01T12:00:00+24:00', '24:00 is not an offset from UTC'],
    ['2026-10-01T12:00:00+0160', '01:60 is not an offset from UTC'],
    ['2026-10-01T12', 'it is not written as an ISO-8601 date or instant'],
  ])('%s: %s', (text, problem) => {
    expect(calendarProblem(text)).toBe(problem);
    expect(isRealDate(text)).toBe(false);
  });

  it.each(['2026-02-28', '2028-02-29', '2026-12-31T23:59:59.999Z', '2026-11-27 09:00Z', '2026-11-27T09:00:00+0530', '2026-11-27T09:00', '7d', 'since-last-record'])(
    '%s is real (or no date at all)',
    (text) => {
      expect(calendarProblem(text)).toBeUndefined();
    },
  );

  it('as-of refuses what the mapping file refuses, with the reason', () => {
    expect(() => parseAsOf('2026-02-30T12:00:00Z')).toThrow(
      new InputError('Input as-of: "2026-02-30T12:00:00Z" names no real instant (February 2026 has 28 days); write it like 2026-11-27T09:00:00Z.'),
    );
    expect(() => parseAsOf('2026-11-27T24:00:00Z')).toThrow(
      new InputError('Input as-of: "2026-11-27T24:00:00Z" names no real instant (24:00:00 is not a time of day); write it like 2026-11-27T09:00:00Z.'),
    );
    expect(parseAsOf('2026-02-28T12:00:00Z')).toEqual(new Date('2026-02-28T12:00:00Z'));
    const mapping = (due: string) => `version: 1\ntargets:\n  - key_result: "7041430377642082323"\n    milestone: v2.0\n    due: ${due}\n`;
    expect(() => parseMappingFile(mapping('2026-02-30T12:00:00Z'), 'okr.yml')).toThrow(ConfigError);
    expect(() => parseMappingFile(mapping('2026-02-30T12:00:00Z'), 'okr.yml')).toThrow(
      'okr.yml:5:10 targets[0].due: must be an ISO-8601 date such as 2026-12-31 (or an instant such as 2026-12-31T18:00:00Z), not "2026-02-30T12:00:00Z"',
    );
    expect(parseMappingFile(mapping('2026-02-28T12:00:00Z'), 'okr.yml').targets[0]!.due).toBe('2026-02-28T12:00:00Z');
  });
});

describe('days where the clocks change', () => {
  it('a day whose midnight is skipped starts at its first real instant (America/Santiago, 2026-09-06)', () => {
    const start = zonedInstant(2026, 9, 6, 'America/Santiago');
    expect(iso(start)).toBe('2026-09-06T04:00:00.000Z');
    expect(zonedParts(start, 'America/Santiago')).toEqual({ year: 2026, month: 9, day: 6, hour: 1, minute: 0, second: 0 });
    // One millisecond earlier is still the 5th.
    expect(localDate(new Date(start.getTime() - 1), 'America/Santiago')).toBe('2026-09-05');
    expect(iso(parseDateOrInstant('2026-09-06', 'America/Santiago'))).toBe('2026-09-06T04:00:00.000Z');
  });

  it('`due` ends at the last instant of its day, also before a skipped midnight', () => {
    expect(iso(parseDateOrInstant('2026-09-05', 'America/Santiago', true))).toBe('2026-09-06T03:59:59.999Z');
    expect(iso(parseDateOrInstant('2026-09-06', 'America/Santiago', true))).toBe('2026-09-07T02:59:59.999Z');
    const schedule = scheduleOf(makeTarget({ due: '2026-09-05', timezone: 'America/Santiago', start: '2026-09-01' }), undefined);
    expect(iso(schedule.due!)).toBe('2026-09-06T03:59:59.999Z');
    expect(iso(schedule.start!)).toBe('2026-09-01T04:00:00.000Z');
    // 23:30 on the 5th is before the due date's end; 01:00 on the 6th is past it.
    expect(statusOf('auto', 50, schedule, new Date('2026-09-06T03:30:00Z'), 100)).toBe(0);
    expect(statusOf('auto', 50, schedule, new Date('2026-09-06T04:00:00Z'), 100)).toBe(2);
  });

  it('a wall time the clocks skip gives the moment of the change', () => {
    // Europe/Berlin, 2026-03-29: 02:00 CET became 03:00 CEST at 01:00 UTC.
    expect(iso(zonedInstant(2026, 3, 29, 'Europe/Berlin', 2, 30))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(zonedInstant(2026, 3, 29, 'Europe/Berlin', 1, 59, 59))).toBe('2026-03-29T00:59:59.000Z');
    expect(iso(zonedInstant(2026, 3, 29, 'Europe/Berlin', 3))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(zonedInstant(2026, 3, 29, 'Europe/Berlin', 3, 0, 1))).toBe('2026-03-29T01:00:01.000Z');
  });

  it('a wall time shown twice gives its first showing', () => {
    // Europe/Berlin, 2026-10-25: 02:30 is shown at 00:30 UTC (CEST) and at 01:30 UTC (CET).
    expect(iso(zonedInstant(2026, 10, 25, 'Europe/Berlin', 2, 30))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(zonedInstant(2026, 10, 25, 'Europe/Berlin', 3))).toBe('2026-10-25T02:00:00.000Z');
    // America/Santiago, 2026-04-04: 24:00 became 23:00, so 23:30 is shown twice.
    expect(iso(zonedInstant(2026, 4, 4, 'America/Santiago', 23, 30))).toBe('2026-04-05T02:30:00.000Z');
    expect(iso(parseDateOrInstant('2026-04-04', 'America/Santiago', true))).toBe('2026-04-05T03:59:59.999Z');
    // America/Havana, 2026-11-01: 01:00 became 00:00, so the day starts twice; the first counts.
    expect(iso(zonedInstant(2026, 11, 1, 'America/Havana'))).toBe('2026-11-01T04:00:00.000Z');
    expect(iso(parseDateOrInstant('2026-10-31', 'America/Havana', true))).toBe('2026-11-01T03:59:59.999Z');
  });

  it('a day that never happened starts where the next one does (Pacific/Apia skipped 2011-12-30)', () => {
    expect(iso(zonedInstant(2011, 12, 30, 'Pacific/Apia'))).toBe('2011-12-30T10:00:00.000Z');
    expect(iso(zonedInstant(2011, 12, 31, 'Pacific/Apia'))).toBe('2011-12-30T10:00:00.000Z');
    expect(iso(zonedInstant(2011, 12, 29, 'Pacific/Apia'))).toBe('2011-12-29T10:00:00.000Z');
  });

  it('ordinary days keep their midnight', () => {
    expect(iso(zonedInstant(2026, 9, 7, 'America/Santiago'))).toBe('2026-09-07T03:00:00.000Z');
    expect(iso(zonedInstant(2026, 9, 5, 'America/Santiago'))).toBe('2026-09-05T04:00:00.000Z');
    expect(iso(zonedInstant(2026, 11, 26, 'Asia/Kolkata', 9, 15))).toBe('2026-11-26T03:45:00.000Z');
    expect(iso(zonedInstant(2026, 12, 32, 'UTC'))).toBe('2027-01-01T00:00:00.000Z');
  });
});
