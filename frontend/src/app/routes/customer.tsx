/** The customer's pages: their bookings, booking a service, and a booking of theirs (with its rating once done). */
import { Link, useNavigate, useParams } from 'react-router';
import { useMe } from '../../features/auth';
import { BookingDetailView, BookingForm, CustomerBookingList, RescheduleForm, StatusActions } from '../../features/bookings';
import { RatingPanel } from '../../features/ratings';
import { useServiceTypes } from '../../features/providers';
import { ErrorAlert, Loading } from '../../ui/Feedback';

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
  return (
    <BookingDetailView
      id={id}
      back={{ to: '/bookings', label: 'My bookings' }}
      showAttempts={false}
      plainTimeline
      actions={(b) => (
        <>
          {b.allowed_transitions.includes('no_show') && (
            <div>
              <h2>Nobody came?</h2>
              <p className="muted">If the provider did not turn up, tell us: we will send another.</p>
              <StatusActions booking={b} only={['no_show']} />
            </div>
          )}
          <RatingPanel booking={b} />
          <RescheduleForm booking={b} />
          {b.allowed_transitions.includes('cancelled') && (
            <div>
              <h2>Change of plans?</h2>
              <p className="muted">You can cancel until the work has started.</p>
              <StatusActions booking={b} only={['cancelled']} />
            </div>
          )}
        </>
      )}
    />
  );
}
