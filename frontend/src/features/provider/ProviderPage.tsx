import { Link } from 'react-router';
import type { Booking } from '../../api/types';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { formatDateTime } from '../../ui/time';
import { useBooking, useBookings, useServiceLabel } from '../bookings/api';
import { StatusActions } from '../bookings/StatusActions';
import { StatusBadge } from '../bookings/status';
import { useProviders } from './api';
import { AvailabilityToggle } from './AvailabilityToggle';

const FINISHED = new Set(['completed', 'cancelled']);

function ProviderBookingCard({ booking }: { booking: Booking }) {
  const serviceLabel = useServiceLabel();
  // The list has no allowed moves; the booking itself says what this provider may do now.
  const detail = useBooking(booking.id, { enabled: !FINISHED.has(booking.status) });
  return (
    <li className="card booking-card booking-card--provider" data-testid="provider-booking" data-booking-id={booking.id} data-status={booking.status}>
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
      {detail.isError && <ErrorAlert>Could not load what you can do with this booking. {detail.error.message}</ErrorAlert>}
      {detail.data && <StatusActions booking={detail.data} />}
    </li>
  );
}

export function ProviderPage() {
  const me = useProviders();
  const list = useBookings({}, 50);
  const self = me.data?.[0];
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const active = items.filter((b) => !FINISHED.has(b.status));
  const done = items.filter((b) => FINISHED.has(b.status));

  return (
    <section aria-labelledby="provider-title">
      <div className="page-head">
        <h1 id="provider-title">My jobs</h1>
      </div>
      <div className="card">
        <h2>Availability</h2>
        {me.isPending ? (
          <Loading label="Loading your profile…" />
        ) : me.isError ? (
          <ErrorAlert error={me.error} />
        ) : self ? (
          <>
            <AvailabilityToggle provider={self} />
            <p className="muted">
              {self.name} · {self.service_types.join(', ') || 'no services'} · rating {self.rating.toFixed(1)} · {self.active_bookings} active
            </p>
          </>
        ) : (
          <ErrorAlert>Your account is not linked to a provider profile. Ask an admin to set it up.</ErrorAlert>
        )}
      </div>
      <h2>Assigned to me</h2>
      {list.isPending ? (
        <Loading label="Loading your bookings…" />
      ) : !list.data ? (
        <ErrorAlert error={list.error} />
      ) : active.length === 0 ? (
        <Empty>Nothing assigned to you right now. New bookings appear here as soon as they are assigned.</Empty>
      ) : (
        <ul className="booking-list">
          {active.map((b) => (
            <ProviderBookingCard key={b.id} booking={b} />
          ))}
        </ul>
      )}
      {done.length > 0 && (
        <>
          <h2>Finished</h2>
          <ul className="booking-list">
            {done.map((b) => (
              <ProviderBookingCard key={b.id} booking={b} />
            ))}
          </ul>
        </>
      )}
      {list.hasNextPage && (
        <div className="actions">
          <button type="button" className="btn" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </section>
  );
}
