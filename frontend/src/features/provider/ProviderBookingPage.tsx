import { useParams } from 'react-router';
import { BookingDetailView } from '../bookings/BookingDetailView';
import { StatusActions } from '../bookings/StatusActions';
import { useProviderName } from './api';

export function ProviderBookingPage() {
  const id = Number(useParams().id);
  const providerName = useProviderName();
  return (
    <BookingDetailView
      id={id}
      back={{ to: '/provider', label: 'My jobs' }}
      providerName={providerName}
      actions={(b) =>
        b.allowed_transitions.length ? (
          <div>
            <h2>What next?</h2>
            <StatusActions booking={b} />
          </div>
        ) : null
      }
    />
  );
}
