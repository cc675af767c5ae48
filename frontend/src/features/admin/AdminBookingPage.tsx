import { useParams } from 'react-router';
import { BookingDetailView } from '../bookings/BookingDetailView';
import { StatusActions } from '../bookings/StatusActions';
import { useProviderName } from '../provider/api';
import { AssignPanel } from './AssignPanel';
import { OverridePanel } from './OverridePanel';

export function AdminBookingPage() {
  const id = Number(useParams().id);
  const providerName = useProviderName();
  return (
    <BookingDetailView
      id={id}
      back={{ to: '/admin', label: 'All bookings' }}
      providerName={providerName}
      exhaustedHint="Retry it from Dead jobs, or assign a provider by hand below."
      actions={(b) => (
        <>
          {b.allowed_transitions.length > 0 && (
            <div>
              <h2>Moves</h2>
              <StatusActions booking={b} />
            </div>
          )}
          <AssignPanel booking={b} />
          <OverridePanel booking={b} />
        </>
      )}
    />
  );
}
