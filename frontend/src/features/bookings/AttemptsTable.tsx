import { Fragment } from 'react';
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
            <Fragment key={a.id}>
              <tr data-testid="attempt-row" data-outcome={a.outcome}>
                <td>{a.cycle}</td>
                <td>{a.attempt}</td>
                <td>
                  <span className={`outcome outcome--${a.outcome}`}>{OUTCOME_LABEL[a.outcome] ?? a.outcome}</span>
                </td>
                <td>{a.provider_id !== null ? providerName(a.provider_id) : '—'}</td>
                <td>{a.reason ?? '—'}</td>
                <td>{formatDateTime(a.updated_at, true)}</td>
              </tr>
              {/* An admin's pick (assigned or reassigned by hand) ranked nobody: nothing to explain. */}
              {a.candidates && a.outcome !== 'manual' && (
                <tr className="attempt-why">
                  <td colSpan={6}>
                    <Why attempt={a} providerName={providerName} />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/**
 * Why this provider and not the others (admins only): everyone the attempt considered, the
 * chosen first, then the nearest to being chosen, each with the first reason they were not.
 */
function Why({ attempt, providerName }: { attempt: AssignmentAttempt; providerName: (id: number) => string }) {
  const candidates = attempt.candidates ?? [];
  const chosen = candidates.find((c) => c.chosen);
  const more = attempt.others_not_listed ?? 0;
  return (
    <details className="why" data-testid="why-panel">
      <summary>
        {chosen ? `Why ${providerName(chosen.provider_id)}` : 'Why nobody'}
        {candidates.length > (chosen ? 1 : 0) ? ', why not the others' : ''} ({candidates.length + more} considered)
      </summary>
      {candidates.length === 0 ? (
        <p className="muted">No provider offers this service.</p>
      ) : (
        <ul className="why__list">
          {candidates.map((c) => (
            <li key={c.provider_id} data-testid="candidate" data-chosen={c.chosen} data-provider-id={c.provider_id}>
              <strong>{providerName(c.provider_id)}</strong> — {c.reason}
            </li>
          ))}
        </ul>
      )}
      {more > 0 && <p className="muted">and {more} more, further from being chosen.</p>}
    </details>
  );
}
