import { ErrorAlert, Loading } from '../../ui/Feedback';
import { ratingSummary } from '../ratings';
import { useProviders, useServiceLabel } from './api';
import { AvailabilityToggle } from './AvailabilityToggle';

/** The signed-in provider's own record: whether new bookings may come to them, and what they offer. */
export function ProviderAvailabilityCard() {
  // A provider may list only themselves.
  const me = useProviders();
  const serviceLabel = useServiceLabel();
  const self = me.data?.[0];
  return (
    <section className="card" aria-labelledby="availability-title">
      <h2 id="availability-title">Availability</h2>
      {me.isPending ? (
        <Loading label="Loading your profile…" />
      ) : me.isError ? (
        <ErrorAlert error={me.error} />
      ) : self ? (
        <>
          <AvailabilityToggle provider={self} />
          <p className="muted">
            {self.name} · {self.service_types.map(serviceLabel).join(', ') || 'no services'} ·{' '}
            {ratingSummary(self.rating_mean, self.rating_count)} · {self.active_bookings} active
          </p>
        </>
      ) : (
        <ErrorAlert>Your account is not linked to a provider profile. Ask an admin to set it up.</ErrorAlert>
      )}
    </section>
  );
}
