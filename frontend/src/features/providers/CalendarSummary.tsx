import { Fragment } from 'react';
import { WEEKDAYS } from '../../api/types';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { useCalendar } from './api';
import { DAY_NAME } from './CalendarEditor';

/** A provider's working hours to read (a viewer's): each weekday's hours and the dates that differ, on their clock. */
export function CalendarSummary({ providerId }: { providerId: number }) {
  const q = useCalendar(providerId);
  if (q.isPending) return <Loading label="Loading working hours…" />;
  if (q.isError) return <ErrorAlert error={q.error} />;
  const c = q.data;
  if (!c.set) return <p className="muted">No working hours set: jobs may come at any time of any day.</p>;
  const hours = (ranges: { start: string; end: string }[]) =>
    ranges.length ? ranges.map((r) => `${r.start}–${r.end}`).join(', ') : <span className="muted">Not working</span>;
  return (
    <div data-testid="calendar-summary">
      <p className="muted">On the clock of {c.time_zone}.</p>
      <dl className="calendar-summary">
        {WEEKDAYS.map((d) => (
          <Fragment key={d}>
            <dt>{DAY_NAME[d]}</dt>
            <dd>{hours(c.weekly.filter((w) => w.weekday === d))}</dd>
          </Fragment>
        ))}
        {c.exceptions.map((x) => (
          <Fragment key={x.date}>
            <dt>{x.date}</dt>
            <dd>{(x.ranges ?? []).length ? hours(x.ranges ?? []) : <span className="muted">Day off</span>}</dd>
          </Fragment>
        ))}
      </dl>
    </div>
  );
}
