import type { HistoryRow } from '../../api/types';
import { formatDateTime } from '../../ui/time';
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
          {h.reason && <p className="timeline__reason">“{h.reason}”</p>}
        </li>
      ))}
    </ol>
  );
}
