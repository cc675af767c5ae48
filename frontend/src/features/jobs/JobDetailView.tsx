import { useState } from 'react';
import { Link, useLocation } from 'react-router';
import { errorMessage } from '../../api/client';
import type { JobDetail, JobRun } from '../../api/types';
import { ErrorAlert, Loading } from '../../ui/Feedback';
import { useCanAct } from '../auth';
import { nameProviders, useProviderName } from '../providers';
import { TableScroll } from '../../ui/Table';
import { formatCountdown, formatDuration } from '../../ui/duration';
import { formatDateTime, useNow } from '../../ui/time';
import { ActionReportNotice, type ActionOutcome } from './ActionReportNotice';
import { useJob, useJobAction } from './api';
import { JobStateBadge } from './JobStateBadge';
import { PausedQueues } from './PausedQueues';
import { ACTION_WORDS, actionApplies, JOB_ACTIONS, kindLabel, RUN_OUTCOME_LABEL } from './words';
import { PendingButton } from '../../ui/PendingButton';
import './JobDetailView.css';
import { JobBooking } from './JobBooking';

/** Where the job list was (its filters), when the reader came from it. */
export interface FromJobList {
  jobsSearch?: string;
}

/** The next run, counted down every second ("due now" once it has come). */
function NextRun({ at }: { at: string }) {
  const now = useNow(1000);
  return (
    <>
      <time dateTime={at}>{formatDateTime(at, true)}</time>{' '}
      <span className="muted" data-testid="job-countdown">
        ({formatCountdown(at, now)})
      </span>
    </>
  );
}

function Facts({ job }: { job: JobDetail }) {
  const providerName = useProviderName();
  const pending = job.state === 'scheduled' || job.state === 'retrying';
  return (
    <dl className="job-facts">
      <div>
        <dt>Does</dt>
        <dd>
          {kindLabel(job.kind)}{' '}
          <span className="muted small">
            ({job.kind}, {job.queue} queue)
          </span>
        </dd>
      </div>
      <div>
        <dt>Booking</dt>
        <dd>
          <JobBooking job={job} />
        </dd>
      </div>
      <div>
        <dt>Attempt</dt>
        <dd>
          {job.attempt} of {job.max_attempts}, round {job.round}
        </dd>
      </div>
      <div>
        <dt>{pending ? 'Next run' : job.state === 'running' ? 'Running on' : 'Finished'}</dt>
        <dd data-testid="job-next-run">
          {pending ? (
            <NextRun at={job.run_at} />
          ) : job.state === 'running' ? (
            <>
              {job.lease_owner ?? 'a worker'}
              {job.lease_expires_at && <span className="muted small"> (lease until {formatDateTime(job.lease_expires_at, true)})</span>}
            </>
          ) : (
            formatDateTime(job.finished_at ?? job.updated_at, true)
          )}
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>{formatDateTime(job.created_at, true)}</dd>
      </div>
      <div>
        <dt>Updated</dt>
        <dd>{formatDateTime(job.updated_at, true)}</dd>
      </div>
      {job.last_error && (
        <div className="job-facts__wide">
          <dt>{job.state === 'dead' ? 'Why it died' : 'Last error'}</dt>
          <dd>{nameProviders(job.last_error, providerName)}</dd>
        </div>
      )}
    </dl>
  );
}

/** Every run of the job, oldest first: who ran which attempt, when, for how long, and how it ended. */
function Runs({ runs }: { runs: JobRun[] }) {
  const providerName = useProviderName();
  return (
    <TableScroll label="Table of runs">
      <table className="table table--compact" aria-label="Runs">
        <thead>
          <tr>
            <th scope="col">Attempt</th>
            <th scope="col">Round</th>
            <th scope="col">Worker</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
            <th scope="col">Took</th>
            <th scope="col">Outcome</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r, i) => (
            <tr key={i} data-testid="job-run" data-outcome={r.outcome}>
              <td>{r.attempt}</td>
              <td>{r.round}</td>
              <td className="job-run__worker">
                <code>{r.worker}</code>
              </td>
              <td className="nowrap">{formatDateTime(r.started_at, true)}</td>
              <td className="nowrap">{r.finished_at ? formatDateTime(r.finished_at, true) : '—'}</td>
              <td className="nowrap">{r.outcome === 'running' ? 'running…' : formatDuration(r.duration_ms)}</td>
              <td>
                <span className={`run-outcome run-outcome--${r.outcome}`}>{RUN_OUTCOME_LABEL[r.outcome]}</span>
              </td>
              <td className="job-run__error">{r.error ? nameProviders(r.error, providerName) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/** The errors a job kept before its runs were recorded. */
function Errors({ job }: { job: JobDetail }) {
  const providerName = useProviderName();
  return (
    <ol className="job-errors">
      {job.errors.map((e, i) => (
        <li key={i}>
          <span className="muted small">
            round {e.round}, attempt {e.attempt} · {formatDateTime(e.at, true)}
          </span>
          <span className="block">{nameProviders(e.error, providerName)}</span>
        </li>
      ))}
    </ol>
  );
}

/** The operator's buttons for this job: those that apply to its state. */
function Actions({ job, onDone }: { job: JobDetail; onDone: (o: ActionOutcome) => void }) {
  const act = useJobAction();
  const applicable = JOB_ACTIONS.filter((a) => actionApplies(a, job));
  if (!applicable.length) return null;
  return (
    <>
      <div className="actions" role="group" aria-label="Act on this job">
        {applicable.map((a) => (
          <PendingButton
            key={a}
            type="button"
            className={`btn${a === 'retry' ? ' btn--primary' : ''}`}
            pending={act.isPending}
            onClick={() => {
              const request = { ids: [job.id] };
              act.mutate({ action: a, request }, { onSuccess: (report) => onDone({ action: a, request, report }) });
            }}
          >
            {ACTION_WORDS[a].label}
          </PendingButton>
        ))}
      </div>
      {act.error && (
        <ErrorAlert>
          {act.variables ? `${ACTION_WORDS[act.variables.action].label} failed.` : 'The action failed.'} {errorMessage(act.error)}
        </ErrorAlert>
      )}
    </>
  );
}

/**
 * One job for operators: what it does, for which booking, its state and next run (counted
 * down), the actions that apply (an admin's), every run, and its payload. Booking events refetch it, and
 * it is polled while it waits or runs.
 */
export function JobDetailView({ id }: { id: number }) {
  const valid = Number.isInteger(id) && id > 0;
  const job = useJob(id);
  const from = (useLocation().state as FromJobList | null)?.jobsSearch ?? '';
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null);
  const canAct = useCanAct();
  const data = job.data;

  return (
    <section aria-labelledby="job-title">
      <p className="back">
        <Link to={`/admin/jobs${from}`}>← Jobs</Link>
      </p>
      <div className="page-head">
        <h1 id="job-title">Job #{valid ? id : '?'}</h1>
        {data && (
          <span className="job-head" data-testid="job-detail" data-state={data.state}>
            <JobStateBadge state={data.state} /> <span className="muted">{kindLabel(data.kind)}</span>
          </span>
        )}
      </div>
      {!valid ? (
        <ErrorAlert>There is no such job.</ErrorAlert>
      ) : job.isPending ? (
        <Loading label="Loading the job…" />
      ) : !data ? (
        <ErrorAlert error={job.error} />
      ) : (
        <>
          {job.isError && <ErrorAlert>Could not refresh the job. {errorMessage(job.error)}</ErrorAlert>}
          {outcome && <ActionReportNotice outcome={outcome} onDismiss={() => setOutcome(null)} />}
          <PausedQueues only={data.queue} />
          <div className="card">
            <Facts job={data} />
            {canAct && <Actions job={data} onDone={setOutcome} />}
          </div>
          <section className="card" aria-labelledby="job-runs-title">
            <h2 id="job-runs-title">Runs</h2>
            {data.attempts.length > 0 ? (
              <Runs runs={data.attempts} />
            ) : data.errors.length > 0 ? (
              <>
                <p className="muted">No run was recorded; the errors of its failed attempts:</p>
                <Errors job={data} />
              </>
            ) : (
              <p className="empty">It has not run yet.</p>
            )}
          </section>
          <section className="card" aria-labelledby="job-payload-title">
            <h2 id="job-payload-title">Payload</h2>
            <pre className="job-payload" data-testid="job-payload">
              <code>{JSON.stringify(data.payload, null, 2)}</code>
            </pre>
          </section>
        </>
      )}
    </section>
  );
}
