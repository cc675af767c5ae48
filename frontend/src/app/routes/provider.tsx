/** The provider's pages: their agenda (with their availability), their history, their reviews, their working hours, and a job of theirs. */
import { useParams } from 'react-router';
import { useMe } from '../../features/auth';
import { BookingDetailView, ProviderBookingList, ProviderHistory, StatusActions } from '../../features/bookings';
import { CalendarEditor, ProviderAvailabilityCard, useProviderName, useProviders } from '../../features/providers';
import { ratingSummary, ReviewList } from '../../features/ratings';
import { ErrorAlert, Loading, Notice } from '../../ui/Feedback';

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

export function ProviderHistoryPage() {
  const me = useMe();
  return (
    <section aria-labelledby="provider-history-title">
      <div className="page-head">
        <h1 id="provider-history-title">History</h1>
      </div>
      <p className="muted">Every job you were offered, newest first: done, declined, passed on.</p>
      <ProviderHistory providerId={me.data?.provider_id} />
    </section>
  );
}

/** The provider's reviews, newest first, and their mean. */
export function ProviderReviewsPage() {
  const me = useMe();
  const id = me.data?.provider_id;
  const own = useProviders(undefined, { fresh: true }).data?.find((p) => p.id === id);
  return (
    <section aria-labelledby="provider-reviews-title">
      <div className="page-head">
        <h1 id="provider-reviews-title">Reviews</h1>
        {own && (
          <span className="muted" data-testid="rating-summary">
            {ratingSummary(own.rating_mean, own.rating_count)}
          </span>
        )}
      </div>
      {id ? <ReviewList providerId={id} /> : <Loading label="Loading reviews…" />}
    </section>
  );
}

export function ProviderCalendarPage() {
  const me = useMe();
  const id = me.data?.provider_id;
  return (
    <section aria-labelledby="provider-calendar-title">
      <div className="page-head">
        <h1 id="provider-calendar-title">Working hours</h1>
      </div>
      <p className="muted">Jobs are offered to you only inside these hours, and never two at once.</p>
      <div className="card">
        {me.isPending ? (
          <Loading />
        ) : id ? (
          <CalendarEditor providerId={id} who="self" level={2} />
        ) : (
          <ErrorAlert>Your account is not linked to a provider profile. Ask an admin to set it up.</ErrorAlert>
        )}
      </div>
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
      offeredToReader
      actions={(b) =>
        b.provider_id !== me.data?.provider_id ? (
          <Notice tone="info">This booking is no longer assigned to you: it is kept here as a record.</Notice>
        ) : b.allowed_transitions.length ? (
          <div>
            <h2>What next?</h2>
            <StatusActions booking={b} />
            {b.status === 'in_progress' && (
              <p className="muted">If the customer was not there, report them absent: the job closes without another visit.</p>
            )}
          </div>
        ) : null
      }
    />
  );
}
