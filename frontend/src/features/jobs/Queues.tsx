import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/client';
import { JOB_STATES, type QueueInfo } from '../../api/types';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { useCanAct } from '../auth';
import { formatDuration } from '../../ui/duration';
import { formatAgo, formatDateTime, useNow } from '../../ui/time';
import { useToast } from '../../ui/Toast';
import { useQueues, useSetPaused } from './api';
import { JOB_STATE_LABEL } from './words';
import { PendingButton } from '../../ui/PendingButton';
import './QueueOverview.css';

/** How long the oldest due job has waited, counted on between fetches. */
function OldestDue({ ms, fetchedAt }: { ms: number; fetchedAt: number }) {
  const now = useNow(1000);
  return (
    <p data-testid="queue-oldest-due">
      The oldest due job has waited <strong>{formatDuration(Math.max(ms, ms + now - fetchedAt))}</strong> past its run time.
    </p>
  );
}

/**
 * Runs that ended in each of the last 60 minutes, as bars (done, with failed on top), and
 * the hour's totals in words: the bars are a picture of the words.
 */
function LastHour({ minutes }: { minutes: QueueInfo['last_hour'] }) {
  const done = minutes.reduce((n, m) => n + m.done, 0);
  const failed = minutes.reduce((n, m) => n + m.failed, 0);
  const busiest = Math.max(1, ...minutes.map((m) => m.done + m.failed));
  const summary = `In the last hour: ${done.toLocaleString()} ${done === 1 ? 'run' : 'runs'} done, ${failed.toLocaleString()} failed`;
  return (
    <div className="last-hour" data-testid="queue-last-hour">
      <p className="last-hour__summary">{summary}.</p>
      {done + failed > 0 && (
        <div className="last-hour__bars" role="img" aria-label={`${summary}, by minute`}>
          {minutes.map((m) => (
            <span key={m.minute} className="last-hour__minute" title={`${formatDateTime(m.minute)}: ${m.done} done, ${m.failed} failed`}>
              <span className="last-hour__failed" style={{ height: `${(m.failed / busiest) * 100}%` }} />
              <span className="last-hour__done" style={{ height: `${(m.done / busiest) * 100}%` }} />
            </span>
          ))}
        </div>
      )}
    </div>
  );
}

function QueueCard({
  queue,
  fetchedAt,
  canAct,
  busy,
  onPause,
  onResume,
}: {
  queue: QueueInfo;
  fetchedAt: number;
  /** An admin's card, with Pause or Resume; a viewer's has neither. */
  canAct: boolean;
  busy: boolean;
  onPause: () => void;
  onResume: () => void;
}) {
  const now = useNow(10_000, queue.paused);
  const titleId = `queue-${queue.name}-title`;
  const states = [...JOB_STATES, ...Object.keys(queue.depth).filter((k) => !(JOB_STATES as readonly string[]).includes(k))];
  return (
    <section
      className="card queue-card"
      data-testid="queue-card"
      data-queue={queue.name}
      data-paused={queue.paused}
      aria-labelledby={titleId}
    >
      <div className="queue-card__head">
        <h2 id={titleId}>Queue “{queue.name}”</h2>
        <span className={`badge ${queue.paused ? 'badge--queue-paused' : 'badge--queue-running'}`} data-testid="queue-status">
          {queue.paused ? 'Paused' : 'Running'}
        </span>
        {!canAct ? null : queue.paused ? (
          <PendingButton
            type="button"
            className="btn btn--primary queue-card__toggle"
            pending={busy}
            onClick={onResume}
            aria-label={`Resume the ${queue.name} queue`}
          >
            Resume
          </PendingButton>
        ) : (
          <PendingButton
            type="button"
            className="btn queue-card__toggle"
            pending={busy}
            onClick={onPause}
            aria-label={`Pause the ${queue.name} queue`}
          >
            Pause
          </PendingButton>
        )}
      </div>
      {queue.paused && (
        <p className="queue-card__paused">
          Paused by {queue.paused_by ?? 'someone'}
          {queue.paused_at && (
            <>
              {' '}
              since <time dateTime={queue.paused_at}>{formatDateTime(queue.paused_at, true)}</time> ({formatAgo(queue.paused_at, now)})
            </>
          )}
          . No worker takes its jobs until it is resumed; they keep their run times.
        </p>
      )}
      {QUEUE_WORDS[queue.name] && (
        <p className="muted" data-testid="queue-about">
          {QUEUE_WORDS[queue.name]}
        </p>
      )}
      <dl className="counts">
        {states.map((s) => {
          const n = queue.depth[s] ?? 0;
          return (
            <div
              key={s}
              className={`count${n > 0 ? '' : ' count--zero'}${s === 'dead' && n ? ' count--alert' : ''}`}
              data-testid={`depth-${s}`}
            >
              <dt>{JOB_STATE_LABEL[s as keyof typeof JOB_STATE_LABEL] ?? s}</dt>
              <dd>
                {n > 0 ? (
                  <Link
                    to={`/admin/jobs?state=${s}&queue=${encodeURIComponent(queue.name)}`}
                    aria-label={`${n.toLocaleString()} ${s}: show these jobs`}
                  >
                    {n.toLocaleString()}
                  </Link>
                ) : (
                  0
                )}
              </dd>
            </div>
          );
        })}
      </dl>
      {queue.oldest_due_age_ms !== null ? (
        <OldestDue ms={queue.oldest_due_age_ms} fetchedAt={fetchedAt} />
      ) : (
        <p className="muted">No job is due.</p>
      )}
      <LastHour minutes={queue.last_hour} />
    </section>
  );
}

/** What a queue's counts mean, where its states would mislead read plainly. */
const QUEUE_WORDS: Record<string, string> = {
  assignment:
    'Its jobs find a provider for a booking, and end an offer the provider leaves unanswered. ' +
    'An offer answered in time cancels its timer, so those jobs end Cancelled; ' +
    'a run the provider turned down, or that found nobody free, counts as Failed and is tried again.',
};

/** Each queue: its jobs by state, how long its oldest due job has waited, its last hour's runs, and pausing or resuming it. */
export function Queues() {
  const queues = useQueues();
  const setPaused = useSetPaused();
  const toast = useToast();
  const canAct = useCanAct();
  const [pausing, setPausing] = useState<string | null>(null);

  const change = (name: string, paused: boolean) =>
    setPaused.mutate(
      { name, paused },
      {
        onSuccess: (q) => toast(`Queue ${q.name} ${q.paused ? 'paused' : 'resumed'}.`, 'success', { stay: true }),
        onSettled: () => setPausing(null),
      },
    );

  if (queues.isPending) return <Loading label="Loading the queues…" />;
  if (!queues.data) return <ErrorAlert error={queues.error} />;
  return (
    <>
      {queues.isError && <ErrorAlert>Could not refresh the queues. {errorMessage(queues.error)}</ErrorAlert>}
      {setPaused.error && <ErrorAlert>Could not change the queue. {errorMessage(setPaused.error)}</ErrorAlert>}
      {queues.data.map((q) => (
        <QueueCard
          key={q.name}
          queue={q}
          fetchedAt={queues.dataUpdatedAt}
          canAct={canAct}
          busy={setPaused.isPending}
          onPause={() => setPausing(q.name)}
          onResume={() => change(q.name, false)}
        />
      ))}
      <ConfirmDialog
        open={canAct && pausing !== null}
        title={`Pause the ${pausing ?? ''} queue?`}
        confirmLabel="Pause queue"
        danger
        busy={setPaused.isPending}
        onConfirm={() => pausing && change(pausing, true)}
        onCancel={() => setPausing(null)}
      >
        <p>Workers stop taking its jobs within one poll: new bookings wait unassigned, and retries wait, until you resume it.</p>
        <p className="muted">Jobs running now finish. Nothing is lost: paused jobs keep their run times and run once it is resumed.</p>
      </ConfirmDialog>
    </>
  );
}
