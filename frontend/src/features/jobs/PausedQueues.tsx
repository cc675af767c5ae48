import { Link } from 'react-router';
import { Notice } from '../../ui/Feedback';
import { formatDateTime } from '../../ui/time';
import { useQueues } from './api';

/**
 * Says which queues are paused, where jobs are listed or acted on: a retried or run-now
 * job of a paused queue waits, and nothing else on those pages would tell why. `only`
 * narrows it to one queue (a job's page).
 */
export function PausedQueues({ only }: { only?: string }) {
  const queues = useQueues();
  const paused = (queues.data ?? []).filter((q) => q.paused && (only === undefined || q.name === only));
  if (paused.length === 0) return null;
  return (
    <Notice tone="warning" testId="paused-queues">
      {paused.map((q) => (
        <span key={q.name} className="block">
          <strong>The {q.name} queue is paused</strong>
          {q.paused_by && ` by ${q.paused_by}`}
          {q.paused_at && (
            <>
              {' '}
              since <time dateTime={q.paused_at}>{formatDateTime(q.paused_at, true)}</time>
            </>
          )}
          : its jobs, retried or run now too, wait until it is resumed.{' '}
        </span>
      ))}
      <Link to="/admin/queue">Open the queue page</Link>
    </Notice>
  );
}
