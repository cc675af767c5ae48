import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import type { Booking, PassedOn } from '../../api/types';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { dateKeyIn, formatDayIn } from '../../ui/time';
import { useToast } from '../../ui/Toast';
import { useServiceLabel } from '../providers';
import { useBookings } from './api';
import { providerMoves } from './moves';
import { StatusActions } from './StatusActions';
import { StatusBadge } from './status';
import { When } from './When';
import { OfferDeadline } from './OfferDeadline';
import { PendingButton } from '../../ui/PendingButton';
import './BookingList.css';

/** How a job left the provider, in their words (after "No longer yours: "). */
const PASSED_ON: Record<PassedOn, string> = {
  declined: 'you declined it.',
  lapsed: 'you did not answer the offer in time.',
  absent: 'you were reported absent.',
  taken_back: 'dispatch took it back.',
};

/** A link that opens the address in a map (a phone's maps app picks it up). */
function mapLink(address: string): string {
  return `https://www.openstreetmap.org/search?query=${encodeURIComponent(address)}`;
}

/** A phone number as a `tel:` address: digits and a leading +. */
function telLink(phone: string): string {
  return `tel:${phone.replace(/[^0-9+]/g, '')}`;
}

function ProviderBookingCard({
  booking,
  serviceLabel,
  record = false,
  passedOn = false,
}: {
  booking: Booking;
  serviceLabel: (name: string) => string;
  /** On the history: no moves on the card (they are on the job's page). */
  record?: boolean;
  /** No longer theirs (they rejected it, let it expire, or did not come): no contact details. */
  passedOn?: boolean;
}) {
  // Every booking on the agenda is assigned to the provider reading it, so its status alone
  // says what they may do: no request per card.
  const movable = { ...booking, allowed_transitions: providerMoves(booking.status) };
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
          <span>
            <When booking={booking} />
          </span>
          {!record && <OfferDeadline booking={booking} toProvider />}
          {!passedOn ? (
            <>
              <a href={mapLink(booking.address)} target="_blank" rel="noreferrer" className="booking-card__address">
                {booking.address}
              </a>
              <span className="muted">
                {booking.customer_name} ·{' '}
                <a href={telLink(booking.customer_phone)} data-testid="customer-phone">
                  {booking.customer_phone}
                </a>
              </span>
              {booking.notes && <span className="muted pre-line">Notes: {booking.notes}</span>}
            </>
          ) : (
            <span className="muted" data-testid="passed-on">
              No longer yours: {booking.passed_on ? PASSED_ON[booking.passed_on] : 'it went to another provider.'}
            </span>
          )}
        </div>
        <StatusBadge status={booking.status} />
      </div>
      {!record && <StatusActions booking={movable} />}
    </li>
  );
}

/** Bookings grouped by the day they start on (on their address's clock), in time order. */
function byDay(items: Booking[]): { key: string; label: string; items: Booking[] }[] {
  const groups: { key: string; label: string; items: Booking[] }[] = [];
  const now = new Date().toISOString();
  for (const b of items) {
    const key = dateKeyIn(b.starts_at, b.time_zone);
    const today = dateKeyIn(now, b.time_zone);
    const label =
      key === today
        ? `Today, ${formatDayIn(b.starts_at, b.time_zone)}`
        : key < today
          ? 'Earlier, still open'
          : formatDayIn(b.starts_at, b.time_zone);
    const last = groups[groups.length - 1];
    if (last && last.label === label) last.items.push(b);
    else groups.push({ key, label, items: [b] });
  }
  return groups;
}

/**
 * The signed-in provider's agenda: every active job (offered, accepted, in progress) in
 * time order, grouped by day, with the moves they may make. All of it, not a first page:
 * an active job is never behind "load more". A job that arrives while the page is open is
 * announced.
 */
export function ProviderBookingList() {
  const list = useBookings({ active: true, order: 'starts_at' }, 100);
  const serviceLabel = useServiceLabel();
  const toast = useToast();
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = list;

  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  // Jobs seen so far; one not seen before, once the first load is in, is a new offer.
  const seen = useRef<Set<number> | null>(null);
  useEffect(() => {
    if (!list.data || hasNextPage) return;
    const ids = new Set(items.map((b) => b.id));
    if (seen.current) {
      for (const b of items) {
        if (!seen.current.has(b.id) && b.status === 'assigned') {
          toast(`New job #${b.id}: ${serviceLabel(b.service_type)}. Accept or reject it below.`, 'info');
        }
      }
    }
    seen.current = ids;
  });

  return (
    <section aria-labelledby="assigned-title">
      <h2 id="assigned-title">My agenda</h2>
      {list.isPending ? (
        <Loading label="Loading your jobs…" />
      ) : !list.data ? (
        <ErrorAlert error={list.error} />
      ) : items.length === 0 ? (
        <Empty>Nothing assigned to you right now. New jobs appear here as soon as they are offered to you.</Empty>
      ) : (
        byDay(items).map((g) => (
          <section key={g.label} aria-label={g.label} data-testid="agenda-day" data-date={g.key}>
            <h3>{g.label}</h3>
            <ul className="booking-list">
              {g.items.map((b) => (
                <ProviderBookingCard key={b.id} booking={b} serviceLabel={serviceLabel} />
              ))}
            </ul>
          </section>
        ))
      )}
      {hasNextPage && <Loading label="Loading more of your jobs…" />}
    </section>
  );
}

/**
 * Every job the provider was offered or handled, newest first, whatever came of it: those
 * they finished, and those they rejected or let expire (read-only, without the customer's
 * contact details).
 */
export function ProviderHistory({ providerId }: { providerId: number | null | undefined }) {
  const list = useBookings({ handled: true }, 20);
  const serviceLabel = useServiceLabel();
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title" className="visually-hidden">
        Jobs handled
      </h2>
      {list.isPending ? (
        <Loading label="Loading your history…" />
      ) : !list.data ? (
        <ErrorAlert error={list.error} />
      ) : items.length === 0 ? (
        <Empty>No jobs yet.</Empty>
      ) : (
        <ul className="booking-list">
          {items.map((b) => (
            <ProviderBookingCard key={b.id} booking={b} serviceLabel={serviceLabel} record passedOn={b.provider_id !== providerId} />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <div className="actions">
          <PendingButton type="button" className="btn" onClick={() => list.fetchNextPage()} pending={list.isFetchingNextPage}>
            {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </PendingButton>
        </div>
      )}
    </section>
  );
}
