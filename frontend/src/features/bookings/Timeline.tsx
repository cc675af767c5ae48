import type { HistoryRow } from '../../api/types';
import { formatDateTime } from '../../ui/time';
import { nameProviders } from '../providers';
import { ROLE_LABEL, StatusBadge } from './status';
import './Timeline.css';

/** The audit trail: every status change with when, what, who in which role, and why. */
export function Timeline({ history, providerName }: { history: HistoryRow[]; providerName: (id: number) => string }) {
  if (!history.length) return <p className="empty">No changes recorded yet.</p>;
  return (
    <ol className="timeline" aria-label="Status history">
      {history.map((h) => (
        <li
          key={h.id}
          className={`timeline__item${h.is_override ? ' timeline__item--override' : ''}`}
          data-testid="timeline-row"
          data-status={h.new_status}
        >
          <div className="timeline__head">
            <span className="timeline__change">
              {h.old_status === null ? (
                <>
                  <span className="muted">Created as</span> <StatusBadge status={h.new_status} />
                </>
              ) : h.old_status === h.new_status ? (
                <>
                  <StatusBadge status={h.new_status} /> <span className="muted">(status unchanged)</span>
                </>
              ) : (
                <>
                  <StatusBadge status={h.old_status} /> <span aria-label="to">→</span> <StatusBadge status={h.new_status} />
                </>
              )}
              {h.is_override && <span className="badge badge--override">Override</span>}
            </span>
            <time dateTime={h.timestamp} className="muted">
              {formatDateTime(h.timestamp, true)}
            </time>
          </div>
          <div className="timeline__who">
            by <strong>{h.changed_by_name}</strong>{' '}
            <span className={`role role--${h.changed_by_role}`}>{ROLE_LABEL[h.changed_by_role] ?? h.changed_by_role}</span>
            {h.provider_id !== null && <> · provider: {providerName(h.provider_id)}</>}
          </div>
          {h.reason && (
            <p className="timeline__reason">“{h.changed_by_role === 'system' ? nameProviders(h.reason, providerName) : h.reason}”</p>
          )}
        </li>
      ))}
    </ol>
  );
}

/** A provider's first name, as the customer is told it ("Priya"); "a provider" when unknown. */
export function firstName(name: string | undefined): string {
  const first = name?.trim().split(/\s+/)[0];
  return first ? first : 'a provider';
}

/**
 * One step of a customer's booking in plain words: what happened, for them. `provider` is
 * the first name of the provider the row is about, when the customer may know it.
 */
export function customerStep(h: HistoryRow, provider: string | undefined): string {
  const who = provider ?? 'the provider';
  const by = h.changed_by_role === 'customer' ? 'you' : h.changed_by_role === 'provider' ? (provider ?? 'the provider') : 'Home services';
  if (h.old_status === null) return 'Booked';
  if (movedBetween(h)) return `Moved by ${by}`;
  if (h.old_status === h.new_status) return `Updated by ${by}`;
  switch (h.new_status) {
    case 'pending':
      return 'Back to finding a provider';
    case 'assigned':
      return provider ? `Offered to ${provider}` : 'Offered to a provider';
    case 'accepted':
      return provider ? `Confirmed with ${provider}` : 'Confirmed';
    case 'in_progress':
      // Said as the provider's own step only when it was theirs (an admin may record it).
      return h.changed_by_role === 'provider' ? `${capitalised(who)} started the work` : 'Work started, recorded by Home services';
    case 'completed':
      return 'Done';
    case 'cancelled':
      return `Cancelled by ${by}`;
    case 'rejected':
      return h.changed_by_role === 'provider' || h.changed_by_role === 'system'
        ? 'The provider could not take it: finding someone else'
        : `Taken back by ${by}: finding someone else`;
    case 'no_show':
      return h.changed_by_role === 'customer'
        ? 'You reported that nobody came: finding someone else'
        : h.changed_by_role === 'provider'
          ? `${who === 'the provider' ? 'The provider' : who} found nobody at the address`
          : 'Marked as missed by Home services';
  }
}

/** The API's words for a move: "rescheduled from <when> to <when>; ...". */
const MOVED = /^rescheduled from (.+?) to (.+?)(?:;|$)/;

/** A move's two times, "from 2026-12-08 15:00 (UTC) to 2026-12-09 16:00 (UTC)"; null for any other change. */
export function movedBetween(h: Pick<HistoryRow, 'reason'>): string | null {
  const m = h.reason ? MOVED.exec(h.reason) : null;
  return m ? `From ${m[1]} to ${m[2]}.` : null;
}

/**
 * A customer's booking as a plain timeline: each step in words, when, and their own notes
 * (a move's times, not the dispatcher's words for it).
 */
export function CustomerTimeline({ history, providerName }: { history: HistoryRow[]; providerName: (id: number) => string | undefined }) {
  if (!history.length) return <p className="empty">Nothing has happened yet.</p>;
  return (
    <ol className="timeline" aria-label="What happened">
      {history.map((h) => (
        <li key={h.id} className="timeline__item" data-testid="timeline-row" data-status={h.new_status}>
          <div className="timeline__head">
            <strong>{customerStep(h, h.provider_id !== null ? optionalFirstName(providerName(h.provider_id)) : undefined)}</strong>
            <time dateTime={h.timestamp} className="muted">
              {formatDateTime(h.timestamp)}
            </time>
          </div>
          {movedBetween(h) ? (
            <p className="timeline__reason">{movedBetween(h)}</p>
          ) : (
            h.reason && h.old_status !== null && <p className="timeline__reason">“{h.reason}”</p>
          )}
        </li>
      ))}
    </ol>
  );
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function optionalFirstName(name: string | undefined): string | undefined {
  return name ? firstName(name) : undefined;
}
