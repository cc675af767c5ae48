import { useParams } from 'react-router';
import { BookingDetailView } from './BookingDetailView';
import { StatusActions } from './StatusActions';

export function CustomerBookingPage() {
  const id = Number(useParams().id);
  return (
    <BookingDetailView
      id={id}
      back={{ to: '/bookings', label: 'My bookings' }}
      actions={(b) =>
        b.allowed_transitions.includes('cancelled') ? (
          <div>
            <h2>Change of plans?</h2>
            <p className="muted">You can cancel until the work has started.</p>
            <StatusActions booking={b} only={['cancelled']} />
          </div>
        ) : null
      }
    />
  );
}
