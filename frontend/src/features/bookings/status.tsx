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

export function StatusBadge({ status }: { status: BookingStatus }) {
  return (
    <span className={`badge badge--${status}`} data-status={status}>
      {statusLabel(status)}
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
