/** The provider's pages: their jobs (with their availability) and a job of theirs. */
import { useParams } from 'react-router';
import { useMe } from '../../features/auth';
import { BookingDetailView, ProviderBookingList, StatusActions } from '../../features/bookings';
import { ProviderAvailabilityCard, useProviderName } from '../../features/providers';
import { Notice } from '../../ui/Feedback';

export function ProviderHomePage() {
  return (
    <section aria-labelledby="provider-title">
      <div className="page-head">
        <h1 id="provider-title">My jobs</h1>
      </div>
      <ProviderAvailabilityCard />
      <ProviderBookingList />
    </section>
  );
}

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
