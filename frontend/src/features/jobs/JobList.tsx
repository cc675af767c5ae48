import { useMemo, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/client';
import type { JobFilters } from '../../api/queryKeys';
import type { Job, JobActionRequest } from '../../api/types';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { useCanAct } from '../auth';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { TableScroll } from '../../ui/Table';
import { formatDateTime } from '../../ui/time';
import { ActionReportNotice, type ActionOutcome } from './ActionReportNotice';
import { useJobAction, useJobs, useQueues } from './api';
import { describeFilters, filtersFromParams, filtersToParams, isFiltered } from './filters';
import type { FromJobList } from './JobDetailView';
import { JobFilterForm } from './JobFilterForm';
import { JobStateBadge } from './JobStateBadge';
import { actionRequest, canAct as actionEnabled, NO_SELECTION, selectedCount, toggled, type Selection } from './selection';
import { ACTION_WORDS, actionApplies, JOB_ACTIONS, jobs as jobCount, kindLabel, type JobAction } from './words';
import { JobBooking } from './JobBooking';
import { PendingButton } from '../../ui/PendingButton';
import './JobList.css';

/** The job table's filters, kept in the address (see filters.ts): a reload or a shared link shows the same jobs. */
export function useJobFilters(): [JobFilters, (f: JobFilters) => void] {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => filtersFromParams(params), [params]);
  return [filters, (f) => setParams(filtersToParams(f), { replace: true })];
}

/** Whether an operator can do anything to a job in this state (a running or done one: no). */
const actionable = (j: Job) => JOB_ACTIONS.some((a) => actionApplies(a, j));

/** When the job runs next, or ran, in a cell. */
function RunCell({ job }: { job: Job }) {
  const [label, at] =
    job.state === 'scheduled' || job.state === 'retrying'
      ? ['next run', job.run_at]
      : job.state === 'running'
        ? ['running since', job.updated_at]
        : ['finished', job.finished_at ?? job.updated_at];
  return (
    <>
      <span className="block muted small">{label}</span>
      <time dateTime={at}>{formatDateTime(at, true)}</time>
    </>
  );
}

function JobRow({
  job,
  canAct,
  selected,
  locked,
  onSelect,
  onRetry,
  busy,
  from,
}: {
  job: Job;
  /** An admin's row: a box to select it, and Retry on a dead one. A viewer's has neither. */
  canAct: boolean;
  selected: boolean;
  /** Every matching job is selected: the boxes show it and cannot be changed one by one. */
  locked: boolean;
  onSelect: (on: boolean) => void;
  onRetry: () => void;
  busy: boolean;
  /** The list's address, for the job page's way back. */
  from: FromJobList;
}) {
  const can = actionable(job);
  return (
    <tr data-testid="job-row" data-job-id={job.id} data-booking-id={job.booking_id ?? undefined} data-state={job.state}>
      {canAct && (
        <td>
          <input
            type="checkbox"
            checked={can && (locked || selected)}
            disabled={!can || locked}
            onChange={(e) => onSelect(e.target.checked)}
            aria-label={`Select job #${job.id}`}
          />
        </td>
      )}
      <td>
        <Link to={`/admin/jobs/${job.id}`} state={from} aria-label={`Open job ${job.id}`}>
          #{job.id}
        </Link>
      </td>
      <td>
        <JobStateBadge state={job.state} />
      </td>
      <td>
        <span className="nowrap">{kindLabel(job.kind)}</span>
        <span className="block muted small nowrap">{job.queue} queue</span>
      </td>
      <td>
        <JobBooking job={job} />
      </td>
      <td className="nowrap">
        {job.attempt} of {job.max_attempts}
        {job.round > 1 && <span className="block muted small">round {job.round}</span>}
      </td>
      <td className="nowrap">
        <RunCell job={job} />
      </td>
      <td className="job-table__error">{job.last_error ?? <span className="muted">—</span>}</td>
      {canAct && (
        <td>
          {job.state === 'dead' && (
            <PendingButton type="button" className="btn btn--small" onClick={onRetry} pending={busy} aria-label={`Retry job #${job.id}`}>
              Retry
            </PendingButton>
          )}
        </td>
      )}
    </tr>
  );
}

/**
 * The job table for operators: filtered (every filter in the address), newest first or next
 * to run first, with how many jobs match. Tick rows, or select every matching job, and
 * retry, cancel or run them now; the report of what changed and what was skipped stays
 * until dismissed. A viewer sees the table and the count, and no way to select or act.
 */
export function JobList({ filters, onFiltersChange }: { filters: JobFilters; onFiltersChange: (f: JobFilters) => void }) {
  const canAct = useCanAct();
  const list = useJobs(filters);
  const queues = useQueues();
  const act = useJobAction();
  const from: FromJobList = { jobsSearch: useLocation().search };
  const address = filtersToParams(filters).toString();
  // The selection belongs to the filters it was made under: new filters, nothing selected.
  const [picked, setPicked] = useState<{ address: string; selection: Selection }>({ address, selection: NO_SELECTION });
  const selection = picked.address === address ? picked.selection : NO_SELECTION;
  const select = (s: Selection) => setPicked({ address, selection: s });
  const [outcome, setOutcome] = useState<ActionOutcome | null>(null);
  const [confirming, setConfirming] = useState<JobAction | null>(null);

  const pages = list.data?.pages ?? [];
  const items = pages.flatMap((p) => p.items);
  const total = pages.length ? pages[pages.length - 1].total : 0;
  const selectable = items.filter(actionable);
  const count = selectedCount(selection, total);
  const allShown = selection.kind === 'ids' && selectable.length > 0 && selectable.every((j) => selection.ids.has(j.id));

  const run = (action: JobAction, request: JobActionRequest) =>
    act.mutate(
      { action, request },
      {
        onSuccess: (report) => {
          setOutcome({ action, request, report });
          select(NO_SELECTION);
        },
        onSettled: () => setConfirming(null),
      },
    );

  const onAction = (action: JobAction) => {
    if (selection.kind === 'matching') {
      setConfirming(action);
      return;
    }
    const request = actionRequest(selection, filters);
    if (request) run(action, request);
  };

  return (
    <>
      <JobFilterForm key={address} filters={filters} queues={queues.data?.map((q) => q.name) ?? []} onChange={onFiltersChange} />
      {outcome && <ActionReportNotice outcome={outcome} onDismiss={() => setOutcome(null)} />}
      {act.error && (
        <ErrorAlert>
          {act.variables ? `${ACTION_WORDS[act.variables.action].label} failed.` : 'The action failed.'} {errorMessage(act.error)}
        </ErrorAlert>
      )}
      {list.isPending ? (
        <Loading label="Loading jobs…" />
      ) : !list.data ? (
        <ErrorAlert error={list.error} />
      ) : (
        <>
          <div className="card job-toolbar">
            <p className="job-toolbar__total" data-testid="job-total" aria-live="polite">
              <strong>{total === 1 ? '1 job matches' : `${jobCount(total)} match`}</strong>
              {count > 0 && (
                <span className="muted" data-testid="job-selected">
                  {' '}
                  · {selection.kind === 'matching' ? `all ${jobCount(count)} selected` : `${count} selected`}
                </span>
              )}
            </p>
            {canAct && (
              <>
                <div className="actions job-toolbar__select">
                  {selection.kind === 'ids' && total > 0 && (
                    <button type="button" className="btn btn--small" onClick={() => select({ kind: 'matching' })}>
                      Select all {total.toLocaleString()} matching
                    </button>
                  )}
                  {count > 0 && (
                    <button type="button" className="btn btn--small" onClick={() => select(NO_SELECTION)}>
                      Clear selection
                    </button>
                  )}
                </div>
                <div className="actions job-toolbar__act" role="group" aria-label="Act on the selected jobs">
                  {JOB_ACTIONS.map((a) => (
                    <PendingButton
                      key={a}
                      type="button"
                      className={`btn${a === 'retry' ? ' btn--primary' : ''}`}
                      pending={act.isPending}
                      disabled={!actionEnabled(a, selection, items, filters, total)}
                      onClick={() => onAction(a)}
                    >
                      {ACTION_WORDS[a].label}
                    </PendingButton>
                  ))}
                </div>
              </>
            )}
          </div>
          {items.length === 0 ? (
            <Empty>
              {isFiltered(filters)
                ? 'No jobs match these filters.'
                : 'No dead jobs. Every booking that needed a provider got one, or is still being tried.'}
            </Empty>
          ) : (
            <TableScroll label="Table of jobs" className={`card card--flush${list.isPlaceholderData ? ' job-table--stale' : ''}`}>
              <table
                className={`table table--compact job-table${canAct ? ' job-table--select' : ''}`}
                aria-label="Jobs"
                aria-busy={list.isFetching}
              >
                <thead>
                  <tr>
                    {canAct && (
                      <th scope="col">
                        <input
                          type="checkbox"
                          checked={selection.kind === 'matching' || allShown}
                          disabled={selection.kind === 'matching' || selectable.length === 0}
                          onChange={(e) =>
                            select(e.target.checked ? { kind: 'ids', ids: new Set(selectable.map((j) => j.id)) } : NO_SELECTION)
                          }
                          aria-label="Select every job shown"
                        />
                      </th>
                    )}
                    <th scope="col">Job</th>
                    <th scope="col">State</th>
                    <th scope="col">Does</th>
                    <th scope="col">Booking</th>
                    <th scope="col">Attempt</th>
                    <th scope="col">Runs</th>
                    <th scope="col">Last error</th>
                    {canAct && (
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {items.map((j) => (
                    <JobRow
                      key={j.id}
                      job={j}
                      canAct={canAct}
                      selected={selection.kind === 'ids' && selection.ids.has(j.id)}
                      locked={selection.kind === 'matching'}
                      onSelect={(on) => select(toggled(selection, j.id, on))}
                      onRetry={() => run('retry', { ids: [j.id] })}
                      busy={act.isPending}
                      from={from}
                    />
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
          {list.isError && <ErrorAlert>Could not refresh the jobs. {errorMessage(list.error)}</ErrorAlert>}
          {list.hasNextPage && (
            <div className="actions">
              <PendingButton type="button" className="btn" onClick={() => list.fetchNextPage()} pending={list.isFetchingNextPage}>
                {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </PendingButton>
            </div>
          )}
        </>
      )}
      <ConfirmDialog
        open={canAct && confirming !== null}
        title={confirming ? `${ACTION_WORDS[confirming].command(total)}?` : ''}
        confirmLabel={confirming ? ACTION_WORDS[confirming].command(total) : ''}
        danger={confirming === 'cancel'}
        busy={act.isPending}
        onConfirm={() => {
          const request = actionRequest({ kind: 'matching' }, filters);
          if (confirming && request) run(confirming, request);
        }}
        onCancel={() => setConfirming(null)}
      >
        <p>
          This acts on every job that matches the filters when it runs ({describeFilters(filters)}), not only those shown: {jobCount(total)}{' '}
          now.
        </p>
        <p className="muted">
          Jobs it does not apply to are skipped and listed with the reason; running jobs are never touched. Many jobs take a while: the
          report shows here when it is done.
        </p>
      </ConfirmDialog>
    </>
  );
}
