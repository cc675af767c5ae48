import { useMemo, useState } from 'react';
import { sentence } from '../../api/client';
import type { Slot, TimeZoneName } from '../../api/types';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { dateKeyIn, durationLabel, formatDayIn, formatTimeIn, wallClockToUtc, zoneAbbreviation } from '../../ui/time';
import { useAvailability } from './api';
import './SlotPicker.css';

const WEEK_MS = 7 * 86_400_000;
/** How far ahead one may look, in weeks (bookings up to about a year ahead). */
const MAX_WEEKS = 52;

export interface ChosenSlot {
  starts_at: string;
  time_zone: TimeZoneName;
}

interface Props {
  serviceType: string;
  value: ChosenSlot | null;
  onChange: (slot: ChosenSlot | null) => void;
  error?: string;
  /** The instant the first week starts from (now, for a new booking). */
  origin: number;
  /** A start to leave out: the booking's own, when moving it. */
  exclude?: string;
  /** The booking being moved: its own window does not count as busy (it may move by half an hour). */
  moving?: number;
}

/**
 * The bookable starts of a service, a week at a time: a day, then a time on that day, on
 * the service area's clock (labelled with its zone). Only starts someone can take are offered.
 */
export function SlotPicker({ serviceType, value, onChange, error, origin, exclude, moving }: Props) {
  const [week, setWeek] = useState(0);
  const [day, setDay] = useState('');
  const [typed, setTyped] = useState('');
  const from = new Date(origin + week * WEEK_MS).toISOString();
  const to = new Date(origin + (week + 1) * WEEK_MS).toISOString();
  const q = useAvailability(serviceType, from, to, { moving });
  const tz: TimeZoneName = q.data?.time_zone ?? 'UTC';

  const days = useMemo(() => {
    const byDay = new Map<string, Slot[]>();
    for (const s of q.data?.slots ?? []) {
      if (s.starts_at === exclude) continue;
      const k = dateKeyIn(s.starts_at, tz);
      const list = byDay.get(k);
      if (list) list.push(s);
      else byDay.set(k, [s]);
    }
    return [...byDay.entries()];
  }, [q.data, tz, exclude]);
  const shownDay = days.some(([k]) => k === day) ? day : (days[0]?.[0] ?? '');
  const slots = days.find(([k]) => k === shownDay)?.[1] ?? [];
  const errorId = 'starts_at-error';

  const moveWeek = (by: number) => {
    setWeek((w) => w + by);
    setDay('');
    onChange(null);
  };

  return (
    <fieldset className={`field slot-picker${error ? ' field--invalid' : ''}`} data-testid="slot-picker">
      <legend>Date and time</legend>
      <div className="slot-picker__week">
        <button type="button" className="btn btn--small" onClick={() => moveWeek(-1)} disabled={week === 0}>
          ← Earlier
        </button>
        <span aria-live="polite">
          {formatDayIn(from, tz)} – {formatDayIn(new Date(Date.parse(to) - 1).toISOString(), tz)}
        </span>
        <button type="button" className="btn btn--small" onClick={() => moveWeek(1)} disabled={week >= MAX_WEEKS}>
          Later →
        </button>
      </div>
      {q.isPending ? (
        <Loading label="Finding free times…" />
      ) : q.isError ? (
        <ErrorAlert error={q.error} />
      ) : days.length === 0 ? (
        <p className="muted" data-testid="no-slots">
          Nobody is free for this service this week. Try a later week.
        </p>
      ) : (
        <>
          <label htmlFor="slot-day" className="label-like">
            Day
          </label>
          <select
            id="slot-day"
            value={shownDay}
            onChange={(e) => {
              setDay(e.target.value);
              onChange(null);
            }}
          >
            {days.map(([k, list]) => (
              <option key={k} value={k}>
                {formatDayIn(list[0].starts_at, tz)} ({list.length} {list.length === 1 ? 'time' : 'times'})
              </option>
            ))}
          </select>
          <div className="slot-picker__times" role="radiogroup" aria-label="Start time">
            {slots.map((s) => {
              const id = `slot-${s.starts_at}`;
              return (
                <label key={s.starts_at} className="slot" htmlFor={id}>
                  <input
                    id={id}
                    type="radio"
                    name="starts_at"
                    value={s.starts_at}
                    checked={value?.starts_at === s.starts_at}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={error ? errorId : undefined}
                    onChange={() => {
                      setTyped('');
                      onChange({ starts_at: s.starts_at, time_zone: tz });
                    }}
                  />
                  <span>{formatTimeIn(s.starts_at, tz)}</span>
                </label>
              );
            })}
          </div>
          <p className="field__hint">
            Times are on the clock of {zoneLabel(tz, zoneAbbreviation(slots[0]?.starts_at ?? from, tz))}.
            {q.data && ` The work takes about ${durationLabel(q.data.duration_minutes)}.`}
          </p>
        </>
      )}
      <details className="slot-picker__typed">
        <summary>Or type a start time</summary>
        <label htmlFor="starts_at-typed" className="label-like">
          Start ({tz} time)
        </label>
        <input
          id="starts_at-typed"
          type="datetime-local"
          step={1800}
          value={typed}
          aria-describedby="starts_at-typed-hint"
          onChange={(e) => {
            setTyped(e.target.value);
            const at = wallClockToUtc(e.target.value, tz);
            onChange(at ? { starts_at: at.replace('.000Z', 'Z'), time_zone: tz } : null);
          }}
        />
        <p className="field__hint" id="starts_at-typed-hint">
          On the hour or half-hour. We check that someone can come then when you book.
        </p>
        {/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(typed) && wallClockToUtc(typed, tz) === null && (
          <p className="field__error" role="alert">
            {typed.slice(11)} does not exist on the clock in {tz} that day: the clocks go forward past it.
          </p>
        )}
      </details>
      {error && (
        <p className="field__error" id={errorId}>
          {sentence(error)}
        </p>
      )}
    </fieldset>
  );
}

/** "Europe/Berlin (CET)", or just "UTC" when the short name says nothing more. */
function zoneLabel(tz: string, abbreviation: string): string {
  return abbreviation === tz ? tz : `${tz} (${abbreviation})`;
}
