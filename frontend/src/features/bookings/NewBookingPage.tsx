import { useNavigate } from 'react-router';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { useMe } from '../auth/api';
import { useServiceTypes } from './api';
import { BookingForm } from './BookingForm';

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
