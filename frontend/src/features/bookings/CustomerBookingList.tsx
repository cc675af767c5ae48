import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { useServiceLabel } from '../providers';
import { useBookings } from './api';
import { When } from './When';
import { StatusBadge } from './status';
import { PendingButton } from '../../ui/PendingButton';
import './BookingList.css';

/** The signed-in customer's bookings, newest first, each linking to its page. */
export function CustomerBookingList() {
  const q = useBookings();
  const serviceLabel = useServiceLabel();
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];

  if (q.isPending) return <Loading label="Loading your bookings…" />;
  if (!q.data) return <ErrorAlert error={q.error} />;
  if (items.length === 0) {
    return (
      <Empty>
        You have no bookings yet. <Link to="/bookings/new">Book your first service</Link>.
      </Empty>
    );
  }
  return (
    <>
      <ul className="booking-list">
        {items.map((b) => (
          <li key={b.id} className="card booking-card" data-testid="booking-card" data-booking-id={b.id}>
            <div className="booking-card__main">
              <Link to={`/bookings/${b.id}`} className="booking-card__title">
                #{b.id} · {serviceLabel(b.service_type)}
              </Link>
              <span className="muted">
                <When booking={b} /> · {b.address}
              </span>
              {b.assignment_exhausted && <span className="warning-text">No provider found yet: our dispatchers are on it.</span>}
            </div>
            <StatusBadge status={b.status} forCustomer />
          </li>
        ))}
      </ul>
      {q.hasNextPage && (
        <div className="actions">
          <PendingButton type="button" className="btn" onClick={() => q.fetchNextPage()} pending={q.isFetchingNextPage}>
            {q.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </PendingButton>
        </div>
      )}
      {q.isError && <ErrorAlert>Could not load more bookings. {errorMessage(q.error)}</ErrorAlert>}
    </>
  );
}
