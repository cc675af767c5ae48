import { describe, expect, it } from 'vitest';
import { dateKeyIn, formatDateTime, formatTimeIn, formatWindow, nextDateKey, shiftDateKey, startOfDayIn, wallClockToUtc } from './time';

describe('times on the clock of a zone', () => {
  it("read a booking's window on its address's clock, whatever the browser's zone", () => {
    // 09:00Z is 10:00 in Berlin in winter, 01:00 in Los Angeles.
    expect(formatTimeIn('2026-12-09T09:00:00Z', 'Europe/Berlin')).toMatch(/^10:00/);
    expect(formatTimeIn('2026-12-09T09:00:00Z', 'America/Los_Angeles')).toMatch(/^0?1:00/);
    const w = formatWindow('2026-12-09T09:00:00Z', '2026-12-09T11:00:00Z', 'Europe/Berlin');
    expect(w).toMatch(/10:00( AM)? – 12:00( PM)? (CET|GMT\+1)$/);
  });

  it('name the zone at each end of a window across a change of clocks', () => {
    // 06:00Z to 08:00Z on 2027-03-14 is 1:00 EST to 4:00 EDT in New York: two hours, not three.
    const w = formatWindow('2027-03-14T06:00:00Z', '2027-03-14T08:00:00Z', 'America/New_York');
    expect(w).toMatch(/1:00( AM)? (EST|GMT-5) – 4:00( AM)? (EDT|GMT-4)$/);
  });

  it('find where a day begins across a change of clocks', () => {
    // Berlin moves to summer time on 2026-03-29: that day begins at 23:00Z the day before, the next at 22:00Z.
    expect(startOfDayIn('2026-03-29', 'Europe/Berlin')).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDayIn(nextDateKey('2026-03-29'), 'Europe/Berlin')).toBe('2026-03-29T22:00:00.000Z');
    expect(startOfDayIn('2026-11-01', 'America/New_York')).toBe('2026-11-01T04:00:00.000Z');
    expect(startOfDayIn('2026-11-02', 'America/New_York')).toBe('2026-11-02T05:00:00.000Z');
    expect(dateKeyIn('2026-03-28T23:30:00Z', 'Europe/Berlin')).toBe('2026-03-29');
    expect(nextDateKey('2026-12-31')).toBe('2027-01-01');
    expect(shiftDateKey('2026-03-01', -1)).toBe('2026-02-28');
    expect(shiftDateKey('2026-12-02', -29)).toBe('2026-11-03');
    // Today differs by zone around midnight UTC.
    expect(dateKeyIn('2026-12-01T23:30:00Z', 'UTC')).toBe('2026-12-01');
    expect(dateKeyIn('2026-12-01T23:30:00Z', 'Asia/Tokyo')).toBe('2026-12-02');
    expect(dateKeyIn('2026-12-02T05:00:00Z', 'America/Los_Angeles')).toBe('2026-12-01');
    // A time typed on Berlin's clock, in winter and in summer.
    expect(wallClockToUtc('2026-12-09T10:00', 'Europe/Berlin')).toBe('2026-12-09T09:00:00.000Z');
    expect(wallClockToUtc('2026-07-09T10:00', 'Europe/Berlin')).toBe('2026-07-09T08:00:00.000Z');
    expect(wallClockToUtc('10:00', 'Europe/Berlin')).toBeNull();
    expect(wallClockToUtc('2026-13-01T10:00', 'Europe/Berlin')).toBeNull();
    // New York's clocks skip from 02:00 to 03:00 on 2027-03-14: 02:30 is no time there.
    expect(wallClockToUtc('2027-03-14T02:30', 'America/New_York')).toBeNull();
    expect(wallClockToUtc('2027-03-14T03:00', 'America/New_York')).toBe('2027-03-14T07:00:00.000Z');
    expect(wallClockToUtc('2027-03-14T01:30', 'America/New_York')).toBe('2027-03-14T06:30:00.000Z');
  });

  it("label a moment on the viewer's clock with its zone, as a booking's window is labelled", () => {
    const here = (iso: string) =>
      new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(new Date(iso)).find((p) => p.type === 'timeZoneName')!
        .value;
    const at = '2026-12-07T11:45:09Z';
    expect(formatDateTime(at)).toMatch(/^Dec \d{1,2}, 2026, \d{1,2}:\d{2} (AM|PM) /);
    expect(formatDateTime(at).endsWith(` ${here(at)}`)).toBe(true);
    expect(formatDateTime(at, true)).toMatch(/:\d{2}:\d{2} (AM|PM) /);
    expect(formatDateTime(null)).toBe('—');
  });

  it('fall back to UTC for a zone the browser does not know', () => {
    expect(formatTimeIn('2026-12-09T09:00:00Z', 'Mars/Olympus')).toMatch(/^0?9:00/);
  });
});
