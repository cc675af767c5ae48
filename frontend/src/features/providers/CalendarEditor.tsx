import { useLayoutEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, sentence } from '../../api/client';
import { WEEKDAYS, type Calendar, type CalendarBody, type TimeZoneName, type Weekday } from '../../api/types';
import { ErrorAlert, Loading, Notice } from '../../ui/Feedback';
import { useFormFeedback } from '../../ui/formFeedback';
import { isTimeZone } from '../../ui/time';
import { useCalendar, useSaveCalendar } from './api';
import './CalendarEditor.css';

export const DAY_NAME: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

interface Range {
  start: string;
  end: string;
}
interface DateRow {
  date: string;
  ranges: Range[];
}
interface Draft {
  timeZone: string;
  weekly: Record<Weekday, Range[]>;
  exceptions: DateRow[];
}

function draftOf(c: Calendar): Draft {
  const weekly = Object.fromEntries(WEEKDAYS.map((d) => [d, [] as Range[]])) as Record<Weekday, Range[]>;
  for (const w of c.weekly) weekly[w.weekday].push({ start: w.start, end: w.end });
  return {
    timeZone: c.time_zone,
    weekly,
    exceptions: c.exceptions.map((e) => ({ date: e.date, ranges: (e.ranges ?? []).map((r) => ({ ...r })) })),
  };
}

/** The body to PUT, and for each of its `weekly[i]` the day and row it came from (to put errors back). */
function bodyOf(d: Draft): { body: CalendarBody; weeklyRows: [Weekday, number][] } {
  const weeklyRows: [Weekday, number][] = [];
  const weekly = WEEKDAYS.flatMap((day) =>
    d.weekly[day].map((r, i) => {
      weeklyRows.push([day, i]);
      return { weekday: day, start: clockTime(r.start), end: clockTime(r.end) };
    }),
  );
  return {
    body: {
      time_zone: d.timeZone.trim() as TimeZoneName,
      weekly,
      exceptions: d.exceptions.map((e) => ({
        date: e.date,
        ranges: e.ranges.map((r) => ({ start: clockTime(r.start), end: clockTime(r.end) })),
      })),
    },
    weeklyRows,
  };
}

const TIME_ZONES: string[] = (() => {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
})();

/**
 * A provider's working hours: several ranges a weekday, in their own time zone, and dated
 * exceptions that replace a day's hours (none: a day off). Without a calendar a provider
 * works every day, all day.
 */
export function CalendarEditor({ providerId, who, level = 3 }: { providerId: number; who: 'self' | 'admin'; level?: 2 | 3 }) {
  const q = useCalendar(providerId);
  // Here, not in the form: a save replaces the form (keyed on what was saved), and the
  // mutation and the word that it was saved must outlive it.
  const save = useSaveCalendar(providerId);
  const [saved, setSaved] = useState(false);
  if (q.isPending) return <Loading label="Loading working hours…" />;
  if (q.isError) return <ErrorAlert error={q.error} />;
  // Keyed on the loaded calendar: a save (or another tab's) starts a fresh draft from it.
  return (
    <CalendarForm
      key={JSON.stringify(q.data)}
      calendar={q.data}
      providerId={providerId}
      who={who}
      level={level}
      save={save}
      saved={saved}
      setSaved={setSaved}
    />
  );
}

function CalendarForm({
  calendar,
  providerId,
  who,
  level,
  save,
  saved,
  setSaved,
}: {
  calendar: Calendar;
  save: ReturnType<typeof useSaveCalendar>;
  providerId: number;
  who: 'self' | 'admin';
  level: 2 | 3;
  saved: boolean;
  setSaved: (saved: boolean) => void;
}) {
  const Heading = level === 2 ? 'h2' : 'h3';
  const [draft, setDraft] = useState<Draft>(() => draftOf(calendar));
  const [zoneError, setZoneError] = useState<string | undefined>();
  const { weeklyRows } = useMemo(() => bodyOf(draft), [draft]);

  // A save replaces this form with one of what was saved: focus goes back to its save
  // button, where the keyboard was, instead of being lost with the old form.
  const saveButton = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (saved && document.activeElement === document.body) {
      saveButton.current?.focus();
    }
  }, [saved]);

  const edit = (f: (d: Draft) => Draft) => {
    setDraft((d) => f(structuredClone(d)));
    setSaved(false);
  };

  const { form, failed, visible } = useFormFeedback();
  // A removed row's button goes with it: focus then moves to the nearest "Add" button (the
  // selector), instead of falling to the page.
  const focusAfterRemoval = useRef<string | null>(null);
  useLayoutEffect(() => {
    const selector = focusAfterRemoval.current;
    if (!selector) return;
    focusAfterRemoval.current = null;
    const focused = document.activeElement;
    if (focused && focused !== document.body && focused.isConnected) return;
    form.ref.current?.querySelector<HTMLElement>(selector)?.focus();
  });
  const removing = (selector: string, change: (d: Draft) => Draft) => {
    focusAfterRemoval.current = selector;
    edit(change);
  };
  const rawApiFields = save.error instanceof ApiError ? save.error.fields : {};
  const apiFields = visible(rawApiFields);
  /** The name the API gives a weekday's row in its errors: its place in the body's `weekly`. */
  const rowName = (day: Weekday, i: number) => `weekly[${weeklyRows.findIndex(([d, j]) => d === day && j === i)}]`;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (save.isPending) return;
    if (!isTimeZone(draft.timeZone.trim())) {
      setZoneError('Choose a time zone from the list, such as Europe/Berlin.');
      failed();
      return;
    }
    setZoneError(undefined);
    save.mutate(bodyOf(draft).body, {
      onSuccess: () => setSaved(true),
      onError: (err) => {
        if (err instanceof ApiError && Object.keys(err.fields).length) failed();
      },
    });
  };

  const known = new Set(['time_zone', ...weeklyRows.map((_, i) => `weekly[${i}]`)]);
  const otherErrors = Object.entries(apiFields).filter(([k]) => !known.has(k));

  return (
    <form {...form} onSubmit={submit} noValidate className="calendar-editor" aria-label="Working hours" data-testid="calendar-editor">
      {!calendar.set && (
        <Notice tone="info">
          {who === 'self' ? 'You have not set working hours yet, so jobs may come to you' : 'No working hours set: jobs may come'} at any
          time of any day. Set them below.
        </Notice>
      )}
      <div className={`field${zoneError || apiFields.time_zone ? ' field--invalid' : ''}`}>
        <label htmlFor={`tz-${providerId}`}>Time zone</label>
        <input
          id={`tz-${providerId}`}
          name="time_zone"
          list="time-zones"
          value={draft.timeZone}
          aria-invalid={zoneError || apiFields.time_zone ? true : undefined}
          aria-describedby={`tz-${providerId}-hint`}
          onChange={(e) => {
            const v = e.target.value;
            edit((d) => ({ ...d, timeZone: v }));
            setZoneError(undefined);
          }}
        />
        <datalist id="time-zones">
          {TIME_ZONES.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <p className={zoneError || apiFields.time_zone ? 'field__error' : 'field__hint'} id={`tz-${providerId}-hint`}>
          {zoneError ??
            (apiFields.time_zone ? sentence(apiFields.time_zone) : 'The hours below are on this clock, daylight saving included.')}
        </p>
      </div>

      <Heading>Every week</Heading>
      <div className="actions">
        <button
          type="button"
          className="btn btn--small"
          onClick={() =>
            edit((d) => {
              for (const day of WEEKDAYS) d.weekly[day] = day === 'sat' || day === 'sun' ? [] : [{ start: '09:00', end: '17:00' }];
              return d;
            })
          }
        >
          Fill Monday to Friday, 9 to 5
        </button>
      </div>
      <ul className="calendar-days">
        {WEEKDAYS.map((day) => (
          <li key={day} className="calendar-day" data-testid={`weekday-${day}`}>
            <span className="calendar-day__name">{DAY_NAME[day]}</span>
            <div className="calendar-day__ranges">
              {draft.weekly[day].length === 0 && <span className="muted">Not working</span>}
              {draft.weekly[day].map((r, i) => (
                <RangeInputs
                  key={i}
                  label={`${DAY_NAME[day]}, hours ${i + 1}`}
                  name={rowName(day, i)}
                  range={r}
                  error={apiFields[rowName(day, i)]}
                  onChange={(nr) => edit((d) => ((d.weekly[day][i] = nr), d))}
                  onRemove={() => removing(`[data-add-hours="${day}"]`, (d) => (d.weekly[day].splice(i, 1), d))}
                />
              ))}
              {apiFields[`weekly.${day}`] && <p className="field__error">{sentence(apiFields[`weekly.${day}`])}</p>}
            </div>
            <button
              type="button"
              className="btn btn--small"
              onClick={() => edit((d) => (d.weekly[day].push(nextRange(d.weekly[day])), d))}
              aria-label={`Add hours on ${DAY_NAME[day]}`}
              data-add-hours={day}
            >
              Add hours
            </button>
          </li>
        ))}
      </ul>

      <Heading>Dates that differ</Heading>
      <p className="muted">A date here replaces that weekday&apos;s hours: no hours is a day off, or give the hours worked that day.</p>
      <ul className="calendar-days">
        {draft.exceptions.map((x, i) => (
          <li key={i} className="calendar-day" data-testid="calendar-exception">
            <span className="calendar-day__name">
              <input
                type="date"
                aria-label={`Date ${i + 1}`}
                name={`exceptions[${i}].date`}
                value={x.date}
                aria-invalid={apiFields[`exceptions[${i}].date`] ? true : undefined}
                onChange={(e) => {
                  const v = e.target.value;
                  edit((d) => ((d.exceptions[i].date = v), d));
                }}
              />
            </span>
            <div className="calendar-day__ranges">
              {x.ranges.length === 0 && <span className="muted">Day off</span>}
              {x.ranges.map((r, j) => (
                <RangeInputs
                  key={j}
                  label={`Date ${i + 1}, hours ${j + 1}`}
                  name={`exceptions[${i}].ranges[${j}]`}
                  range={r}
                  error={apiFields[`exceptions[${i}].ranges[${j}]`]}
                  onChange={(nr) => edit((d) => ((d.exceptions[i].ranges[j] = nr), d))}
                  onRemove={() => removing(`[data-add-hours="date-${i}"]`, (d) => (d.exceptions[i].ranges.splice(j, 1), d))}
                />
              ))}
              {[`exceptions[${i}].date`, `exceptions[${i}].ranges`].map(
                (k) =>
                  apiFields[k] && (
                    <p key={k} className="field__error">
                      {sentence(apiFields[k])}
                    </p>
                  ),
              )}
            </div>
            <div className="actions">
              <button
                type="button"
                className="btn btn--small"
                onClick={() => edit((d) => (d.exceptions[i].ranges.push(nextRange(d.exceptions[i].ranges)), d))}
                data-add-hours={`date-${i}`}
              >
                Add hours
              </button>
              <button
                type="button"
                className="btn btn--small"
                onClick={() => removing('[data-add-date]', (d) => (d.exceptions.splice(i, 1), d))}
              >
                Remove date
              </button>
            </div>
          </li>
        ))}
      </ul>
      <div className="actions">
        <button
          type="button"
          className="btn btn--small"
          onClick={() => edit((d) => (d.exceptions.push({ date: new Date().toISOString().slice(0, 10), ranges: [] }), d))}
          data-add-date
        >
          Add a date
        </button>
      </div>

      {otherErrors.length > 0 && (
        <ErrorAlert>
          <ul>
            {otherErrors.map(([k, m]) => (
              <li key={k}>
                {k}: {sentence(m)}
              </li>
            ))}
          </ul>
        </ErrorAlert>
      )}
      {save.error && !Object.keys(rawApiFields).length && <ErrorAlert>{errorMessage(save.error)}</ErrorAlert>}
      {saved && !save.isPending && (
        <Notice tone="success" onDismiss={() => setSaved(false)}>
          Working hours saved.
        </Notice>
      )}
      <div className="actions">
        <button ref={saveButton} type="submit" className="btn btn--primary" aria-disabled={save.isPending || undefined}>
          {save.isPending ? 'Saving…' : 'Save working hours'}
        </button>
      </div>
    </form>
  );
}

function nextRange(ranges: Range[]): Range {
  const last = ranges[ranges.length - 1];
  if (!last) return { start: '09:00', end: '17:00' };
  const [h] = last.end.split(':').map(Number);
  const start = Math.min(h + 1, 22);
  const p = (n: number) => String(n).padStart(2, '0');
  return { start: `${p(start)}:00`, end: `${p(Math.min(start + 3, 24))}:00` };
}

function RangeInputs({
  label,
  name,
  range,
  error,
  onChange,
  onRemove,
}: {
  label: string;
  /** The API's name for the range in its errors. */
  name: string;
  range: Range;
  error?: string;
  onChange: (r: Range) => void;
  onRemove: () => void;
}) {
  return (
    <div className={`calendar-range${error ? ' field--invalid' : ''}`} role="group" aria-label={label}>
      <TimeOfDay
        label={`${label}: from`}
        name={name}
        placeholder="09:00"
        value={range.start}
        invalid={!!error}
        onChange={(start) => onChange({ ...range, start })}
      />
      <span aria-hidden="true">–</span>
      <TimeOfDay
        label={`${label}: until`}
        name={name}
        placeholder="17:00"
        value={range.end}
        invalid={!!error}
        onChange={(end) => onChange({ ...range, end })}
      />
      <button type="button" className="btn btn--small" onClick={onRemove} aria-label={`Remove ${label}`}>
        ✕
      </button>
      {error && <p className="field__error">{sentence(error)}</p>}
    </div>
  );
}

/**
 * A time as typed, as `HH:MM` where it reads as one: a phone's number pad has no colon, so
 * "0800", "800" and "8" are 08:00 and "1730" or "17.30" is 17:30. Anything else is left as
 * typed, for the check to name.
 */
export function clockTime(typed: string): string {
  const t = typed.trim();
  const m = /^(\d{1,2})(?:[:.h]?(\d{2}))?$/.exec(t);
  if (!m) return t;
  return `${m[1].padStart(2, '0')}:${m[2] ?? '00'}`;
}

/** A wall-clock time, `HH:MM` (24:00 is the end of a day), typed; read as one on leaving it. */
function TimeOfDay({
  label,
  name,
  placeholder,
  value,
  invalid,
  onChange,
}: {
  label: string;
  name: string;
  placeholder: string;
  value: string;
  invalid: boolean;
  onChange: (v: string) => void;
}) {
  return (
    <input
      type="text"
      inputMode="numeric"
      pattern="([01]?[0-9]|2[0-4])[:.h]?([0-5][0-9])?"
      placeholder={placeholder}
      className="calendar-range__time"
      aria-label={label}
      name={name}
      value={value}
      aria-invalid={invalid || undefined}
      onChange={(e) => onChange(e.target.value)}
      onBlur={(e) => {
        const read = clockTime(e.target.value);
        if (read !== e.target.value) onChange(read);
      }}
    />
  );
}
