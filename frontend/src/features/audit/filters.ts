import type { AuditFilters } from '../../api/queryKeys';
import { AUDIT_ACTIONS, type AuditAction } from '../../api/types';

/** The audit log's filters in the address, under the API's names: `action`, `actor` (a user's id), `from` and `to` (days). */
export const NO_AUDIT_FILTERS: AuditFilters = { action: '', actor: '', from: '', to: '' };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[1-9]\d{0,15}$/;

/** A user's id as typed ("12", "#12"): '' for none, null if it is not one. */
export function parseActorId(text: string): string | null {
  const t = text.trim().replace(/^#/, '');
  if (!t) return '';
  return ID.test(t) ? t : null;
}

export function auditFiltersFromParams(params: URLSearchParams): AuditFilters {
  const action = params.get('action') ?? '';
  const actor = params.get('actor') ?? '';
  const day = (name: string) => {
    const v = params.get(name) ?? '';
    return DAY.test(v) ? v : '';
  };
  return {
    action: (AUDIT_ACTIONS as readonly string[]).includes(action) ? (action as AuditAction) : '',
    actor: ID.test(actor) ? actor : '',
    from: day('from'),
    to: day('to'),
  };
}

export function auditFiltersToParams(f: AuditFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.action) p.set('action', f.action);
  if (f.actor) p.set('actor', f.actor);
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  return p;
}

export function isAuditFiltered(f: AuditFilters): boolean {
  return !!(f.action || f.actor || f.from || f.to);
}

/** What each action is, in words, for the table and the filter. */
export const AUDIT_ACTION_LABEL: Record<AuditAction, string> = {
  retry_jobs: 'Retried jobs',
  cancel_jobs: 'Cancelled jobs',
  run_jobs_now: 'Ran jobs now',
  pause_queue: 'Paused a queue',
  resume_queue: 'Resumed a queue',
  assign_booking: 'Assigned a booking',
  override_status: 'Overrode a status',
  create_provider: 'Added a provider',
  update_provider: 'Changed a provider',
  hide_review: 'Hid a review',
  show_review: 'Showed a review',
  create_user: 'Created an account',
  disable_user: 'Disabled an account',
  enable_user: 'Enabled an account',
  issue_reset_link: 'Issued a password reset link',
};
