import { useEffect, useRef, useState } from 'react';
import type { ActorRole, AttemptOutcome, BookingStatus } from '../../api/types';
import './status.css';

export const STATUS_LABEL: Record<BookingStatus, string> = {
  pending: 'Pending',
  assigned: 'Assigned',
  accepted: 'Accepted',
  in_progress: 'In progress',
  completed: 'Completed',
  cancelled: 'Cancelled',
  rejected: 'Rejected',
  no_show: 'No-show',
};

export function statusLabel(s: string): string {
  return STATUS_LABEL[s as BookingStatus] ?? s;
}

/**
 * What a customer is told of the statuses that are the dispatcher's business: "assigned"
 * is an offer the provider has not confirmed yet, and "rejected" a provider who could not
 * take it while another is found. The rest read the same for everyone.
 */
const CUSTOMER_LABEL: Partial<Record<BookingStatus, string>> = {
  pending: 'Finding a provider',
  assigned: 'Awaiting confirmation',
  rejected: 'Finding another provider',
};

/** A status in words; `forCustomer` in the customer's. */
function statusWords(status: BookingStatus, forCustomer: boolean): string {
  return (forCustomer && CUSTOMER_LABEL[status]) || statusLabel(status);
}

/** A status as a badge; `forCustomer` in the customer's words. */
export function StatusBadge({ status, forCustomer = false }: { status: BookingStatus; forCustomer?: boolean }) {
  return (
    <span className={`badge badge--${status}`} data-status={status}>
      {statusWords(status, forCustomer)}
    </span>
  );
}

/**
 * Tells a screen reader when the status shown changes while the page is open (a live
 * update: the provider accepted, the dispatcher moved it): a polite live region, empty
 * until the first change, so that opening the page reads nothing twice.
 */
export function StatusAnnouncer({ status, forCustomer = false }: { status: BookingStatus; forCustomer?: boolean }) {
  const shown = useRef(status);
  const [said, setSaid] = useState('');
  useEffect(() => {
    if (status === shown.current) return;
    shown.current = status;
    setSaid(`Status now: ${statusWords(status, forCustomer)}.`);
  }, [status, forCustomer]);
  return (
    <p className="visually-hidden" role="status" data-testid="status-announcer">
      {said}
    </p>
  );
}

export const ROLE_LABEL: Record<ActorRole, string> = {
  customer: 'customer',
  provider: 'provider',
  admin: 'admin',
  viewer: 'viewer',
  system: 'system',
};

export const OUTCOME_LABEL: Record<AttemptOutcome, string> = {
  assigned: 'Assigned',
  no_provider: 'No provider available',
  rejected: 'Rejected by provider',
  no_show: 'No-show',
  expired: 'Offer expired unanswered',
  error: 'Error',
  manual: 'Assigned by hand',
};
