/** The admin's pages: all bookings, a booking with the admin's tools, dead jobs, providers, the queue. */
import { useParams } from 'react-router';
import { AssignPanel, BookingDetailView, BookingsTable, OverridePanel, StatusActions } from '../../features/bookings';
import { JobList, QueueOverview, useJobStateFilter } from '../../features/jobs';
import { AddProvider, ProviderList, useProviderName } from '../../features/providers';

export function AdminBookingsPage() {
  return (
    <section aria-labelledby="admin-bookings-title">
      <div className="page-head">
        <h1 id="admin-bookings-title">Bookings</h1>
      </div>
      <BookingsTable />
    </section>
  );
}

export function AdminBookingPage() {
  const id = Number(useParams().id);
  const providerName = useProviderName();
  return (
    <BookingDetailView
      id={id}
      back={{ to: '/admin', label: 'All bookings' }}
      providerName={providerName}
      exhaustedHint="Retry it from Dead jobs, or assign a provider by hand below."
      actions={(b) => (
        <>
          {b.allowed_transitions.length > 0 && (
            <div>
              <h2>Moves</h2>
              <StatusActions booking={b} />
            </div>
          )}
          <AssignPanel booking={b} />
          <OverridePanel booking={b} />
        </>
      )}
    />
  );
}

export function DeadJobsPage() {
  const [state, setState] = useJobStateFilter();
  return (
    <section aria-labelledby="jobs-title">
      <div className="page-head">
        <h1 id="jobs-title">{state === 'dead' ? 'Dead jobs' : 'Jobs'}</h1>
      </div>
      <JobList state={state} onStateChange={setState} />
    </section>
  );
}

export function ProvidersPage() {
  return (
    <section aria-labelledby="providers-title">
      <div className="page-head">
        <h1 id="providers-title">Providers</h1>
      </div>
      <AddProvider />
      <ProviderList />
    </section>
  );
}

export function QueuePage() {
  return (
    <section aria-labelledby="queue-title">
      <div className="page-head">
        <h1 id="queue-title">Queue and workers</h1>
      </div>
      <QueueOverview />
    </section>
  );
}
