import { useEffect, useState } from 'react';

/** The current time, re-rendering every `intervalMs` while `active`. */
export function useNow(intervalMs = 1000, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const tick = () => setNow(Date.now());
    // A first tick at once: the time kept from an earlier run may be long gone.
    const first = setTimeout(tick, 0);
    const t = setInterval(tick, intervalMs);
    return () => {
      clearTimeout(first);
      clearInterval(t);
    };
  }, [intervalMs, active]);
  return now;
}

const instant: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZoneName: 'short',
};
const dateTime = new Intl.DateTimeFormat(undefined, instant);
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, { ...instant, second: '2-digit' });

/**
 * When something happened (a booking made, a step of its history, a job's run), on the
 * viewer's clock and labelled with its zone ("Dec 7, 2026, 6:45 AM EST"): a page also shows
 * the booking's window on its address's clock, labelled too, and the two must not be
 * mistaken for one another.
 */
export function formatDateTime(iso: string | null | undefined, withSeconds = false): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return (withSeconds ? dateTimeSeconds : dateTime).format(d);
}

/** "just now", "12 s ago", "3 min ago", "2 h ago", else the date. */
export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 2) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return formatDateTime(iso);
}

/** `YYYY-MM-DDTHH:mm` in local time, the format of <input type="datetime-local">. */
export function toLocalInputValue(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Whether `tz` is a time zone this browser knows (an IANA name such as `Europe/Berlin`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const zoned = new Map<string, Intl.DateTimeFormat>();
/** A cached formatter: building one per cell is slow, and lists show hundreds. */
function inZone(tz: string, key: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const zone = isTimeZone(tz) ? tz : 'UTC';
  const id = `${zone}|${key}`;
  let f = zoned.get(id);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, { ...options, timeZone: zone });
    zoned.set(id, f);
  }
  return f;
}

/** The zone's short name at that instant ("CET", "PST", "GMT+1"), as the viewer's locale writes it. */
export function zoneAbbreviation(iso: string, tz: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return tz;
  return (
    inZone(tz, 'abbr', { timeZoneName: 'short' })
      .formatToParts(d)
      .find((p) => p.type === 'timeZoneName')?.value ?? tz
  );
}

/** A wall-clock time of day in `tz` ("10:00 AM" or "10:00", by locale). */
export function formatTimeIn(iso: string, tz: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return inZone(tz, 'time', { timeStyle: 'short' }).format(d);
}

/** A day in `tz` ("Wed, Dec 9, 2026"). */
export function formatDayIn(iso: string, tz: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return inZone(tz, 'day', { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}

/** The calendar date in `tz`, as `YYYY-MM-DD` (for grouping and for keys). */
export function dateKeyIn(iso: string, tz: string): string {
  const parts = inZone(tz, 'key', { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * A booking's window on its address's clock, labelled with the zone, so that everyone
 * (customer, provider, admin, wherever their browser is) reads the same time:
 * "Wed, Dec 9, 2026, 10:00 – 12:00 CET".
 */
export function formatWindow(startsAt: string, endsAt: string | null | undefined, tz: string): string {
  const start = new Date(startsAt);
  if (Number.isNaN(start.getTime())) return startsAt;
  const day = formatDayIn(startsAt, tz);
  const from = formatTimeIn(startsAt, tz);
  const abbr = zoneAbbreviation(startsAt, tz);
  if (!endsAt) return `${day}, ${from} ${abbr}`;
  const sameDay = dateKeyIn(startsAt, tz) === dateKeyIn(endsAt, tz);
  const to = sameDay ? formatTimeIn(endsAt, tz) : `${formatDayIn(endsAt, tz)}, ${formatTimeIn(endsAt, tz)}`;
  // A window across a change of clocks names the zone at each end, so that its length reads right.
  const endAbbr = zoneAbbreviation(endsAt, tz);
  if (endAbbr !== abbr) return `${day}, ${from} ${abbr} – ${to} ${endAbbr}`;
  return `${day}, ${from} – ${to} ${abbr}`;
}

/** How far `tz`'s clock is ahead of UTC at instant `t` (ms). */
function offsetAt(t: number, tz: string): number {
  const parts = inZone(tz, 'offset', {
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant a calendar date (`YYYY-MM-DD`) begins on `tz`'s clock, as RFC 3339 in UTC. */
export function startOfDayIn(dateKey: string, tz: string): string {
  const t = nearestInstant(`${dateKey}T00:00`, tz);
  return t === null ? `${dateKey}T00:00:00.000Z` : new Date(t).toISOString();
}

/**
 * The instant a wall-clock time (`YYYY-MM-DDTHH:mm`, as `<input type="datetime-local">`
 * gives it) is on `tz`'s clock, as RFC 3339 in UTC; null if it is not such a time, or if
 * the clock skips it (the hour lost when the clocks go forward). A time the clock shows
 * twice is one of the two.
 */
export function wallClockToUtc(local: string, tz: string): string | null {
  const t = nearestInstant(local, tz);
  if (t === null) return null;
  return t + offsetAt(t, tz) === Date.parse(`${local}:00Z`) ? new Date(t).toISOString() : null;
}

/** `wallClockToUtc` without the check that the clock shows that time (ms since the epoch). */
function nearestInstant(local: string, tz: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(local);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number);
  const guess = Date.UTC(y, mo - 1, d, h, mi);
  if (Number.isNaN(guess)) return null;
  // Twice: the offset at the guess may differ from the one at the answer around a change of clocks.
  let t = guess - offsetAt(guess, tz);
  t = guess - offsetAt(t, tz);
  return t;
}

/** The calendar date `days` after `dateKey` (before it when negative). */
export function shiftDateKey(dateKey: string, days: number): string {
  const [y, m, d] = dateKey.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The calendar date after `dateKey`. */
export function nextDateKey(dateKey: string): string {
  return shiftDateKey(dateKey, 1);
}

/** "2 h", "1 h 30 min", "45 min". */
export function durationLabel(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (!h) return `${m} min`;
  return m ? `${h} h ${m} min` : `${h} h`;
}
