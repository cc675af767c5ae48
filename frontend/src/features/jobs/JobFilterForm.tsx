import { useState, type FormEvent } from 'react';
import type { JobFilters } from '../../api/queryKeys';
import { JOB_STATES, type JobSort, type JobState } from '../../api/types';
import { useShowStateAgain } from '../../ui/controlled';
import { SelectField, TextField } from '../../ui/Field';
import { DEFAULT_JOB_FILTERS, isFiltered, parseBookingId } from './filters';
import { JOB_STATE_LABEL } from './words';

/**
 * The job table's filters. Choices (state, queue, days, order) apply at once; typed text
 * (booking, error text) on Apply or Enter. The parent keys it on the address, so that what
 * it shows is always what the address holds.
 */
export function JobFilterForm({
  filters,
  queues,
  onChange,
}: {
  filters: JobFilters;
  queues: readonly string[];
  onChange: (f: JobFilters) => void;
}) {
  const [booking, setBooking] = useState(filters.booking_id);
  const [q, setQ] = useState(filters.q);
  const [bookingError, setBookingError] = useState<string>();
  const showStateAgain = useShowStateAgain();

  /** Applies `next` together with the text typed so far. */
  const apply = (next: Partial<JobFilters>) => {
    const id = parseBookingId(booking);
    if (id === null) {
      setBookingError('Enter a booking number, such as 57.');
      showStateAgain();
      return;
    }
    setBookingError(undefined);
    onChange({ ...filters, booking_id: id, q: q.trim(), ...next });
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({});
  };

  // A queue in the address that the API does not list still shows as chosen.
  const queueNames = filters.queue && !queues.includes(filters.queue) ? [...queues, filters.queue] : queues;

  return (
    <form className="card filters job-filters" role="search" aria-label="Filter jobs" onSubmit={submit} noValidate>
      <SelectField
        id="jobs-state"
        label="State"
        value={filters.state || 'all'}
        onChange={(e) => apply({ state: e.target.value === 'all' ? '' : (e.target.value as JobState) })}
      >
        <option value="all">All states</option>
        {JOB_STATES.map((s) => (
          <option key={s} value={s}>
            {JOB_STATE_LABEL[s]}
          </option>
        ))}
      </SelectField>
      <SelectField id="jobs-queue" label="Queue" value={filters.queue} onChange={(e) => apply({ queue: e.target.value })}>
        <option value="">All queues</option>
        {queueNames.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </SelectField>
      <TextField
        id="jobs-booking"
        label="Booking"
        inputMode="numeric"
        placeholder="#57"
        value={booking}
        error={bookingError}
        onChange={(e) => {
          setBooking(e.target.value);
          setBookingError(undefined);
        }}
      />
      <TextField
        id="jobs-q"
        label="Error text"
        type="search"
        maxLength={200}
        placeholder="Words from any attempt's error"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      <TextField
        id="jobs-from"
        label="Created from"
        type="date"
        value={filters.created_from}
        max={filters.created_to || undefined}
        onChange={(e) => apply({ created_from: e.target.value })}
      />
      <TextField
        id="jobs-to"
        label="Created to"
        type="date"
        value={filters.created_to}
        min={filters.created_from || undefined}
        onChange={(e) => apply({ created_to: e.target.value })}
      />
      <SelectField id="jobs-sort" label="Order" value={filters.sort} onChange={(e) => apply({ sort: e.target.value as JobSort })}>
        <option value="id">Newest first</option>
        <option value="run_at">Next to run first</option>
      </SelectField>
      <div className="actions filters__actions">
        <button type="submit" className="btn btn--primary">
          Apply
        </button>
        {(isFiltered(filters) || filters.sort !== 'id') && (
          <button type="button" className="btn" onClick={() => onChange(DEFAULT_JOB_FILTERS)}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
