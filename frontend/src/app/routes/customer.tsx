/** The customer's pages: their bookings, booking a service, and a booking of theirs (with its rating once done). */
import { Link, useNavigate, useParams } from 'react-router';
import { useMe } from '../../features/auth';
import {
  BookingDetailView,
  BookingForm,
  canReschedule,
  CustomerBookingList,
  earliestMove,
  RescheduleForm,
  StatusActions,
} from '../../features/bookings';
import { RatingPanel } from '../../features/ratings';
import { useServiceTypes } from '../../features/providers';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { useNow } from '../../ui/time';

export function MyBookingsPage() {
  return (
    <section aria-labelledby="my-bookings-title">
      <div className="page-head">
        <h1 id="my-bookings-title">My bookings</h1>
        <Link to="/bookings/new" className="btn btn--primary">
          Book a service
        </Link>
      </div>
      <CustomerBookingList />
    </section>
  );
}

export function NewBookingPage() {
  const me = useMe();
  const types = useServiceTypes();
  const navigate = useNavigate();

  return (
    <section aria-labelledby="new-booking-title">
      <h1 id="new-booking-title">Book a service</h1>
      <div className="card">
        {types.isPending || me.isPending ? (
          <Loading label="Loading services…" />
        ) : types.isError ? (
          <ErrorAlert error={types.error} />
        ) : me.data ? (
          <BookingForm serviceTypes={types.data} me={me.data} onCreated={(b) => navigate(`/bookings/${b.id}`)} />
        ) : null}
      </div>
    </section>
  );
}

export function CustomerBookingPage() {
  const id = Number(useParams().id);
  // The panel's offers change with the clock (a no-show from the start on).
  const now = useNow(60_000);
  return (
    <BookingDetailView
      id={id}
      back={{ to: '/bookings', label: 'My bookings' }}
      showAttempts={false}
      plainTimeline
      actions={(b) => {
        // What the side panel offers: asking for another provider once the work should
        // have begun, rating a finished job, moving or cancelling one still to come. A
        // booking with none of these (a cancelled one) has no panel.
        const noShow = b.allowed_transitions.includes('no_show') && now >= (earliestMove('no_show', b.starts_at) ?? 0);
        const cancel = b.allowed_transitions.includes('cancelled');
        if (!noShow && !cancel && b.status !== 'completed' && !canReschedule(b, now)) return null;
        return (
          <>
            {noShow && (
              <div>
                <h2>Nobody came?</h2>
                <p className="muted">If the provider did not turn up, tell us: we will send another.</p>
                <StatusActions booking={b} only={['no_show']} />
              </div>
            )}
            <RatingPanel booking={b} />
            <RescheduleForm booking={b} />
            {cancel && (
              <div>
                <h2>Change of plans?</h2>
                <p className="muted">You can cancel until the work has started.</p>
                <StatusActions booking={b} only={['cancelled']} />
              </div>
            )}
          </>
        );
      }}
    />
  );
}
