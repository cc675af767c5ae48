import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import type { BookingDetail } from '../../api/types';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { formatDateTime } from '../../ui/time';
import { useServiceLabel } from '../providers';
import { useBooking } from './api';
import { When } from './When';
import { AssignmentProgress } from './AssignmentProgress';
import { AttemptsTable } from './AttemptsTable';
import { OfferDeadline } from './OfferDeadline';
import { StatusAnnouncer, StatusBadge } from './status';
import { CustomerTimeline, Timeline } from './Timeline';
import './BookingDetailView.css';

export const providerById = (id: number) => `Provider #${id}`;

interface Props {
  id: number;
  back: { to: string; label: string };
  providerName?: (id: number) => string;
  /** Role-specific panels (cancel, provider moves, admin tools), given the loaded booking. */
  actions?: (b: BookingDetail) => ReactNode;
  exhaustedHint?: string;
  /** The attempts table (staff and providers; a customer's view has no attempts). */
  showAttempts?: boolean;
  /** The history in plain words (the customer's view) rather than the audit trail. */
  plainTimeline?: boolean;
  /** Read by the provider the booking is offered to: its deadline is theirs to meet. */
  offeredToReader?: boolean;
}

/** A booking as any role sees it: summary, assignment progress, audit trail and attempts. */
export function BookingDetailView({
  id,
  back,
  providerName: fallbackName = providerById,
  actions,
  exhaustedHint,
  showAttempts = true,
  plainTimeline = false,
  offeredToReader = false,
}: Props) {
  const q = useBooking(id);
  const providerName = (pid: number) => q.data?.provider_names?.[String(pid)] ?? fallbackName(pid);
  const serviceLabel = useServiceLabel();

  const backLink = (
    <p className="back">
      <Link to={back.to}>← {back.label}</Link>
    </p>
  );

  if (!Number.isInteger(id) || id <= 0) {
    return (
      <section>
        {backLink}
        <h1>Booking</h1>
        <ErrorAlert>That is not a booking number.</ErrorAlert>
      </section>
    );
  }
  if (q.isPending) {
    return (
      <section>
        {backLink}
        <h1>Booking #{id}</h1>
        <Loading label="Loading booking…" />
      </section>
    );
  }
  if (!q.data) {
    const notFound = q.error instanceof ApiError && (q.error.status === 404 || q.error.status === 403);
    return (
      <section>
        {backLink}
        <h1>Booking #{id}</h1>
        <ErrorAlert>
          {notFound
            ? `Booking #${id} was not found. It does not exist, or it is not one you can see.`
            : `Could not load the booking. ${errorMessage(q.error)}`}
        </ErrorAlert>
      </section>
    );
  }

  const b = q.data;
  const panel = actions?.(b);
  return (
    <section aria-labelledby="booking-title" data-testid="booking-detail" data-status={b.status}>
      {backLink}
      <div className="page-head">
        <h1 id="booking-title">
          Booking #{b.id} · {serviceLabel(b.service_type)}
        </h1>
        <StatusBadge status={b.status} forCustomer={plainTimeline} />
      </div>
      <StatusAnnouncer status={b.status} forCustomer={plainTimeline} />
      <AssignmentProgress
        assignment={b.assignment}
        exhausted={b.assignment_exhausted}
        exhaustedHint={exhaustedHint}
        forCustomer={plainTimeline}
      />
      {q.isError && <ErrorAlert>Could not refresh this booking ({errorMessage(q.error)}) Showing what was loaded last.</ErrorAlert>}
      <div className={`detail-grid${panel ? '' : ' detail-grid--alone'}`}>
        <div className="card">
          <h2>Details</h2>
          <dl className="facts">
            <dt>When</dt>
            <dd>
              <When booking={b} />
              {b.overlap_override && <span className="block warning-text">Overlaps another job of the provider, allowed by an admin</span>}
            </dd>
            {b.status === 'no_show' && b.absent && (
              <>
                <dt>No-show</dt>
                <dd data-testid="absent">
                  {b.absent === 'customer' ? 'The customer was not there when the provider came.' : 'The provider did not come.'}
                </dd>
              </>
            )}
            <dt>Address</dt>
            <dd>{b.address}</dd>
            <dt>Provider</dt>
            <dd>
              <span data-testid="booking-provider">
                {b.provider_id !== null ? providerName(b.provider_id) : <span className="muted">Not assigned yet</span>}
              </span>
              <OfferDeadline booking={b} toProvider={offeredToReader} />
            </dd>
            <dt>Customer</dt>
            <dd>
              {b.customer_name}
              <span className="block muted">{[b.customer_email, b.customer_phone].filter(Boolean).join(' · ')}</span>
            </dd>
            {b.notes && (
              <>
                <dt>Notes</dt>
                <dd className="pre-line">{b.notes}</dd>
              </>
            )}
            <dt>Booked</dt>
            <dd>{formatDateTime(b.created_at)}</dd>
          </dl>
        </div>
        {panel && <div className="card stack">{panel}</div>}
      </div>
      <div className="card">
        <h2>History</h2>
        {plainTimeline ? (
          <CustomerTimeline history={b.history} providerName={(pid) => q.data?.provider_names?.[String(pid)]} />
        ) : (
          <Timeline history={b.history} providerName={providerName} />
        )}
      </div>
      {showAttempts && (
        <div className="card">
          <h2>Assignment attempts</h2>
          <AttemptsTable attempts={b.attempts} providerName={providerName} />
        </div>
      )}
    </section>
  );
}
