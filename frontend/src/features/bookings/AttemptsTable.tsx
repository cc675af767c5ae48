import type { AssignmentAttempt } from '../../api/types';
import { TableScroll } from '../../ui/Table';
import { formatDateTime } from '../../ui/time';
import { OUTCOME_LABEL } from './status';
import './AttemptsTable.css';

export function AttemptsTable({ attempts, providerName }: { attempts: AssignmentAttempt[]; providerName: (id: number) => string }) {
  if (!attempts.length) return <p className="empty">No assignment attempts yet.</p>;
  return (
    <TableScroll label="Table of assignment attempts">
      <table className="table table--compact table--attempts" aria-label="Assignment attempts">
        <thead>
          <tr>
            <th scope="col">Cycle</th>
            <th scope="col">Attempt</th>
            <th scope="col">Outcome</th>
            <th scope="col">Provider</th>
            <th scope="col">Reason</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {attempts.map((a) => (
            <tr key={a.id} data-testid="attempt-row" data-outcome={a.outcome}>
              <td>{a.cycle}</td>
              <td>{a.attempt}</td>
              <td>
                <span className={`outcome outcome--${a.outcome}`}>{OUTCOME_LABEL[a.outcome] ?? a.outcome}</span>
              </td>
              <td>{a.provider_id !== null ? providerName(a.provider_id) : '—'}</td>
              <td>{a.reason ?? '—'}</td>
              <td>{formatDateTime(a.updated_at, true)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
