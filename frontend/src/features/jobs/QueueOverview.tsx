import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import { JOB_STATES, STATUSES, type Worker } from '../../api/types';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { formatAgo, formatDateTime, useNow } from '../../ui/time';
import { TableScroll } from '../../ui/Table';
import { statusLabel } from '../bookings';
import { useStats } from './api';
import { Queues } from './Queues';
import './QueueOverview.css';

/** The API says whether a worker is live (one rule, in the queue: it missed no three of its beats). */
function workerState(w: Worker): { label: string; tone: string } {
  if (w.stopped_at) return { label: 'stopped', tone: 'muted' };
  if (!w.live) return { label: 'not responding', tone: 'warn' };
  return { label: 'running', tone: 'ok' };
}

function Counts({
  title,
  keys,
  counts,
  label,
}: {
  title: string;
  keys: readonly string[];
  counts: Record<string, number>;
  label: (k: string) => string;
}) {
  const all = [...keys, ...Object.keys(counts).filter((k) => !keys.includes(k))];
  return (
    <div className="card">
      <h2>{title}</h2>
      <dl className="counts">
        {all.map((k) => (
          <div
            key={k}
            className={`count${(counts[k] ?? 0) > 0 ? '' : ' count--zero'}${k === 'dead' && counts[k] ? ' count--alert' : ''}`}
            data-testid={`count-${k}`}
          >
            <dt>{label(k)}</dt>
            <dd>{counts[k] ?? 0}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/**
 * The queues (depth, oldest due job, pause and resume), bookings by status, jobs by state,
 * and the workers with their heartbeats, refreshed every few seconds.
 */
export function QueueOverview() {
  const stats = useStats();
  const now = useNow(1000);

  return (
    <>
      <Queues />
      {stats.isPending ? (
        <Loading label="Loading queue statistics…" />
      ) : !stats.data ? (
        <ErrorAlert error={stats.error} />
      ) : (
        <>
          {stats.isError && <ErrorAlert>Could not refresh ({errorMessage(stats.error)}) Showing the last figures.</ErrorAlert>}
          <div className="two-col">
            <Counts title="Bookings by status" keys={STATUSES} counts={stats.data.bookings_by_status} label={statusLabel} />
            <Counts
              title="Jobs by state"
              keys={JOB_STATES}
              counts={stats.data.jobs_by_state}
              label={(k) => k.charAt(0).toUpperCase() + k.slice(1)}
            />
          </div>
          <div className="card">
            <h2>Workers</h2>
            {stats.data.workers.length === 0 ? (
              <p className="empty">No worker has registered yet. Start one with the worker binary; bookings wait until one runs.</p>
            ) : (
              <TableScroll label="Table of workers">
                <table className="table table--compact" aria-label="Workers">
                  <thead>
                    <tr>
                      <th scope="col">Worker</th>
                      <th scope="col">State</th>
                      <th scope="col">Host / pid</th>
                      <th scope="col">Concurrency</th>
                      <th scope="col">Running now</th>
                      <th scope="col">Started</th>
                      <th scope="col">Last heartbeat</th>
                      <th scope="col">Stopped</th>
                    </tr>
                  </thead>
                  <tbody>
                    {stats.data.workers.map((w) => {
                      const s = workerState(w);
                      return (
                        <tr key={w.name} data-testid="worker-row">
                          <td>
                            <code>{w.name}</code>
                          </td>
                          <td>
                            <span className={`dot dot--${s.tone}`} aria-hidden="true" /> {s.label}
                          </td>
                          <td>
                            {w.hostname} / {w.pid}
                          </td>
                          <td>{w.concurrency}</td>
                          <td>
                            {w.running.length === 0 ? (
                              <span className="muted">—</span>
                            ) : (
                              w.running.map((id, i) => (
                                <span key={id}>
                                  {i > 0 && ', '}
                                  <Link to={`/admin/jobs/${id}`} aria-label={`Job ${id}`}>
                                    #{id}
                                  </Link>
                                </span>
                              ))
                            )}
                          </td>
                          <td className="nowrap">{formatDateTime(w.started_at)}</td>
                          <td className="nowrap">
                            <time dateTime={w.last_heartbeat_at} title={formatDateTime(w.last_heartbeat_at, true)}>
                              {formatAgo(w.last_heartbeat_at, now)}
                            </time>
                          </td>
                          <td className="nowrap">{w.stopped_at ? formatDateTime(w.stopped_at, true) : '—'}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </div>
        </>
      )}
    </>
  );
}
