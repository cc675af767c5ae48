import { useParams } from 'react-router';
import { Notice } from '../../ui/Feedback';
import { useMe } from '../auth/api';
import { BookingDetailView } from '../bookings/BookingDetailView';
import { StatusActions } from '../bookings/StatusActions';
import { useProviderName } from './api';

export function ProviderBookingPage() {
  const id = Number(useParams().id);
  const providerName = useProviderName();
  const me = useMe();
  return (
    <BookingDetailView
      id={id}
      back={{ to: '/provider', label: 'My jobs' }}
      providerName={providerName}
      actions={(b) =>
        b.provider_id !== me.data?.provider_id ? (
          <Notice tone="info">This booking is no longer assigned to you.</Notice>
        ) : b.allowed_transitions.length ? (
          <div>
            <h2>What next?</h2>
            <StatusActions booking={b} />
          </div>
        ) : null
      }
    />
  );
}
