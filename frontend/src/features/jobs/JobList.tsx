import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/client';
import { JOB_STATES, type Job, type JobState, type RetryReport, type RetryRequest } from '../../api/types';
import { Empty, ErrorAlert, Loading, Notice } from '../../ui/Feedback';
import { SelectField } from '../../ui/Field';
import { formatDateTime } from '../../ui/time';
import { useJobs, useRetryJobs } from './api';
import './JobList.css';

function ReportNotice({ report }: { report: RetryReport }) {
  return (
    <Notice tone={report.skipped.length ? 'warning' : 'success'} testId="retry-report">
      {report.retried.length ? (
        <span className="block">
          Retried {report.retried.length === 1 ? 'job' : 'jobs'} {report.retried.map((id) => `#${id}`).join(', ')}:{' '}
          {report.retried.length === 1 ? 'it starts' : 'each starts'} a new assignment cycle now.
        </span>
      ) : (
        <span className="block">No job was retried.</span>
      )}
      {report.skipped.length > 0 && (
        <>
          <span className="block">Skipped:</span>
          <ul>
            {report.skipped.map((s) => (
              <li key={s.id}>
                #{s.id}: {s.reason}
              </li>
            ))}
          </ul>
        </>
      )}
    </Notice>
  );
}

function JobCard({
  job,
  selected,
  onSelect,
  onRetry,
  busy,
}: {
  job: Job;
  selected: boolean;
  onSelect: (on: boolean) => void;
  onRetry: () => void;
  busy: boolean;
}) {
  const dead = job.state === 'dead';
  const bookingId = job.booking_id;
  return (
    <li className="card job-card" data-testid="job-row" data-job-id={job.id} data-booking-id={bookingId}>
      <div className="job-card__head">
        {dead && (
          <input
            type="checkbox"
            id={`select-job-${job.id}`}
            checked={selected}
            onChange={(e) => onSelect(e.target.checked)}
            aria-label={`Select job #${job.id}`}
          />
        )}
        <h2 className="job-card__title">
          Job #{job.id}
          {bookingId != null && (
            <>
              {' '}
              · <Link to={`/admin/bookings/${bookingId}`}>booking #{bookingId}</Link>
            </>
          )}
        </h2>
        <span className={`badge badge--job-${job.state}`}>{job.state}</span>
        <span className="muted small">
          {job.kind} on {job.queue} · attempt {job.attempt} of {job.max_attempts} · round {job.round}
        </span>
        {dead && (
          <button
            type="button"
            className="btn btn--small job-card__retry"
            onClick={onRetry}
            disabled={busy}
            aria-label={`Retry job #${job.id}`}
          >
            Retry
          </button>
        )}
      </div>
      {job.last_error && (
        <p className="job-card__reason">
          <strong>{dead ? 'Why it died:' : 'Last error:'}</strong> {job.last_error}
        </p>
      )}
      {job.errors.length > 0 && (
        <details open={dead}>
          <summary>
            {job.errors.length} failed attempt{job.errors.length === 1 ? '' : 's'}
          </summary>
          <ol className="attempt-errors">
            {job.errors.map((e, i) => (
              <li key={i}>
                <span className="muted small">
                  round {e.round}, attempt {e.attempt} · {formatDateTime(e.at, true)}
                </span>
                <span className="block">{e.error}</span>
              </li>
            ))}
          </ol>
        </details>
      )}
      <p className="muted small">
        Created {formatDateTime(job.created_at, true)} · updated {formatDateTime(job.updated_at, true)}
        {job.finished_at && <> · finished {formatDateTime(job.finished_at, true)}</>}
        {job.state === 'retrying' || job.state === 'scheduled' ? <> · runs at {formatDateTime(job.run_at, true)}</> : null}
        {job.lease_owner && <> · leased by {job.lease_owner}</>}
      </p>
    </li>
  );
}

/** The job state to show, kept in the address (`?state=`): dead jobs unless it says otherwise, '' for all. */
export function useJobStateFilter(): [JobState | '', (state: JobState | '') => void] {
  const [params, setParams] = useSearchParams();
  const raw = params.get('state');
  const state: JobState | '' = raw === 'all' ? '' : JOB_STATES.includes(raw as JobState) ? (raw as JobState) : 'dead';
  const setState = (s: JobState | '') => setParams(s === 'dead' ? {} : { state: s || 'all' }, { replace: true });
  return [state, setState];
}

/** Jobs in one state (dead ones by default), each with why it failed, and retrying one, some or all. */
export function JobList({ state, onStateChange }: { state: JobState | ''; onStateChange: (state: JobState | '') => void }) {
  const jobs = useJobs(state);
  const retry = useRetryJobs();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const items = jobs.data?.pages.flatMap((p) => p.items) ?? [];
  const dead = items.filter((j) => j.state === 'dead');
  const chosen = dead.filter((j) => selected.has(j.id)).map((j) => j.id);

  const send = (r: RetryRequest) =>
    retry.mutate(r, {
      onSuccess: (report) => setSelected((s) => new Set([...s].filter((id) => !report.retried.includes(id)))),
    });

  const toggle = (id: number, on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });

  const allChosen = dead.length > 0 && chosen.length === dead.length;

  return (
    <>
      <div className="card filters">
        <SelectField
          id="job-state"
          label="State"
          value={state || 'all'}
          onChange={(e) => {
            setSelected(new Set());
            onStateChange(e.target.value === 'all' ? '' : (e.target.value as JobState));
          }}
        >
          <option value="all">All states</option>
          {JOB_STATES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </SelectField>
        <div className="actions filters__actions">
          {dead.length > 0 && (
            <label className="checkbox">
              <input
                type="checkbox"
                checked={allChosen}
                onChange={(e) => setSelected(e.target.checked ? new Set(dead.map((j) => j.id)) : new Set())}
              />
              Select all shown
            </label>
          )}
          <button type="button" className="btn" disabled={!chosen.length || retry.isPending} onClick={() => send({ ids: chosen })}>
            Retry selected{chosen.length ? ` (${chosen.length})` : ''}
          </button>
          <button type="button" className="btn btn--primary" disabled={retry.isPending} onClick={() => send({ all_dead: true })}>
            Retry all dead
          </button>
        </div>
      </div>
      {retry.error && <ErrorAlert>Could not retry. {errorMessage(retry.error)}</ErrorAlert>}
      {retry.data && <ReportNotice report={retry.data} />}
      {jobs.isPending ? (
        <Loading label="Loading jobs…" />
      ) : !jobs.data ? (
        <ErrorAlert error={jobs.error} />
      ) : items.length === 0 ? (
        <Empty>
          {state === 'dead'
            ? 'No dead jobs. Every booking that needed a provider got one, or is still being tried.'
            : 'No jobs in this state.'}
        </Empty>
      ) : (
        <ul className="job-list">
          {items.map((j) => (
            <JobCard
              key={j.id}
              job={j}
              selected={selected.has(j.id)}
              onSelect={(on) => toggle(j.id, on)}
              onRetry={() => send({ ids: [j.id] })}
              busy={retry.isPending}
            />
          ))}
        </ul>
      )}
      {jobs.isError && jobs.data && <ErrorAlert>Could not refresh the jobs. {errorMessage(jobs.error)}</ErrorAlert>}
      {jobs.hasNextPage && (
        <div className="actions">
          <button type="button" className="btn" onClick={() => jobs.fetchNextPage()} disabled={jobs.isFetchingNextPage}>
            {jobs.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}
