import { Link } from 'react-router';
import type { Booking } from '../../api/types';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { formatDateTime } from '../../ui/time';
import { useServiceLabel } from '../providers';
import { useBookings } from './api';
import { providerMoves } from './moves';
import { StatusActions } from './StatusActions';
import { StatusBadge } from './status';
import './BookingList.css';

const FINISHED = new Set(['completed', 'cancelled']);

function ProviderBookingCard({ booking, serviceLabel }: { booking: Booking; serviceLabel: (name: string) => string }) {
  // Every booking on this list is assigned to the provider reading it, so its status alone
  // says what they may do: no request per card.
  const movable = { id: booking.id, version: booking.version, allowed_transitions: providerMoves(booking.status) };
  return (
    <li
      className="card booking-card booking-card--provider"
      data-testid="provider-booking"
      data-booking-id={booking.id}
      data-status={booking.status}
    >
      <div className="booking-card__row">
        <div className="booking-card__main">
          <Link to={`/provider/bookings/${booking.id}`} className="booking-card__title">
            #{booking.id} · {serviceLabel(booking.service_type)}
          </Link>
          <span>{formatDateTime(booking.scheduled_date)}</span>
          <span className="muted">{booking.address}</span>
          <span className="muted">
            {booking.customer_name} · {booking.customer_phone}
          </span>
          {booking.notes && <span className="muted pre-line">Notes: {booking.notes}</span>}
        </div>
        <StatusBadge status={booking.status} />
      </div>
      <StatusActions booking={movable} />
    </li>
  );
}

/**
 * The signed-in provider's bookings, active ones first, each with the moves they may make.
 * One request for the whole list (GET /bookings returns whole bookings).
 */
export function ProviderBookingList() {
  const list = useBookings({}, 50);
  const serviceLabel = useServiceLabel();
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const active = items.filter((b) => !FINISHED.has(b.status));
  const done = items.filter((b) => FINISHED.has(b.status));

  return (
    <>
      <section aria-labelledby="assigned-title">
        <h2 id="assigned-title">Assigned to me</h2>
        {list.isPending ? (
          <Loading label="Loading your bookings…" />
        ) : !list.data ? (
          <ErrorAlert error={list.error} />
        ) : active.length === 0 ? (
          <Empty>Nothing assigned to you right now. New bookings appear here as soon as they are assigned.</Empty>
        ) : (
          <ul className="booking-list">
            {active.map((b) => (
              <ProviderBookingCard key={b.id} booking={b} serviceLabel={serviceLabel} />
            ))}
          </ul>
        )}
      </section>
      {done.length > 0 && (
        <section aria-labelledby="finished-title">
          <h2 id="finished-title">Finished</h2>
          <ul className="booking-list">
            {done.map((b) => (
              <ProviderBookingCard key={b.id} booking={b} serviceLabel={serviceLabel} />
            ))}
          </ul>
        </section>
      )}
      {list.hasNextPage && (
        <div className="actions">
          <button type="button" className="btn" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}
