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

/** A status as a badge; `forCustomer` in the customer's words. */
export function StatusBadge({ status, forCustomer = false }: { status: BookingStatus; forCustomer?: boolean }) {
  return (
    <span className={`badge badge--${status}`} data-status={status}>
      {(forCustomer && CUSTOMER_LABEL[status]) || statusLabel(status)}
    </span>
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
