import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { formatDateTime } from '../../ui/time';
import { useBookings, useServiceLabel } from './api';
import { StatusBadge } from './status';

export function MyBookingsPage() {
  const q = useBookings();
  const serviceLabel = useServiceLabel();
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <section aria-labelledby="my-bookings-title">
      <div className="page-head">
        <h1 id="my-bookings-title">My bookings</h1>
        <Link to="/bookings/new" className="btn btn--primary">
          Book a service
        </Link>
      </div>
      {q.isPending ? (
        <Loading label="Loading your bookings…" />
      ) : !q.data ? (
        <ErrorAlert error={q.error} />
      ) : items.length === 0 ? (
        <Empty>
          You have no bookings yet. <Link to="/bookings/new">Book your first service</Link>.
        </Empty>
      ) : (
        <>
          <ul className="booking-list">
            {items.map((b) => (
              <li key={b.id} className="card booking-card" data-testid="booking-card" data-booking-id={b.id}>
                <div className="booking-card__main">
                  <Link to={`/bookings/${b.id}`} className="booking-card__title">
                    #{b.id} · {serviceLabel(b.service_type)}
                  </Link>
                  <span className="muted">
                    {formatDateTime(b.scheduled_date)} · {b.address}
                  </span>
                  {b.assignment_exhausted && <span className="warning-text">Assignment exhausted: we are on it.</span>}
                </div>
                <StatusBadge status={b.status} />
              </li>
            ))}
          </ul>
          {q.hasNextPage && (
            <div className="actions">
              <button type="button" className="btn" onClick={() => q.fetchNextPage()} disabled={q.isFetchingNextPage}>
                {q.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            </div>
          )}
          {q.isError && <ErrorAlert>Could not load more bookings. {errorMessage(q.error)}</ErrorAlert>}
        </>
      )}
    </section>
  );
}
