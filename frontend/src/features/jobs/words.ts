import type { ActionReport, Job, JobActionRequest, JobState, RunOutcome } from '../../api/types';

/** What a job does, in plain words: "find a provider" rather than `assign_provider`. */
const KIND_LABEL: Record<string, string> = {
  assign_provider: 'find a provider',
  expire_offer: 'expire an offer',
};

export function kindLabel(kind: string): string {
  return KIND_LABEL[kind] ?? kind.replace(/_/g, ' ');
}

export const JOB_STATE_LABEL: Record<JobState, string> = {
  scheduled: 'Scheduled',
  running: 'Running',
  retrying: 'Retrying',
  dead: 'Dead',
  done: 'Done',
  cancelled: 'Cancelled',
};

export const RUN_OUTCOME_LABEL: Record<RunOutcome, string> = {
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  lost: 'Lost (its worker stopped)',
};

/** What an operator can do to jobs; each is a POST to `/admin/jobs/<path>`. */
export type JobAction = 'retry' | 'cancel' | 'run_now';
export const JOB_ACTIONS: readonly JobAction[] = ['retry', 'cancel', 'run_now'];

interface ActionWords {
  path: string;
  /** The button. */
  label: string;
  /** The states it changes; the API skips jobs in any other (and never touches a running one). */
  appliesTo: readonly JobState[];
  /** "Retry 3 jobs", for the confirmation's button. */
  command: (n: number) => string;
  /** "Retried 3 jobs" / "Retried job #7". */
  done: (what: string) => string;
  /** "No job was retried." */
  none: string;
  /** What follows for the jobs it changed. */
  then: string;
}

export const ACTION_WORDS: Record<JobAction, ActionWords> = {
  retry: {
    path: 'retry',
    label: 'Retry',
    appliesTo: ['dead', 'cancelled'],
    command: (n) => `Retry ${jobs(n)}`,
    done: (what) => `Retried ${what}`,
    none: 'No job was retried.',
    then: 'A retried job starts a new assignment cycle of its booking now.',
  },
  cancel: {
    path: 'cancel',
    label: 'Cancel',
    appliesTo: ['scheduled', 'retrying'],
    command: (n) => `Cancel ${jobs(n)}`,
    done: (what) => `Cancelled ${what}`,
    none: 'No job was cancelled.',
    then: 'A booking whose assignment was cancelled waits for an operator: retry it or assign a provider by hand.',
  },
  run_now: {
    path: 'run-now',
    label: 'Run now',
    appliesTo: ['scheduled', 'retrying'],
    command: (n) => `Make ${jobs(n)} due now`,
    done: (what) => `Made ${what} due now`,
    none: 'No job was made due now.',
    then: 'A worker takes them at its next poll.',
  },
};

/** "1 job", "3 jobs". */
export function jobs(n: number): string {
  return `${n.toLocaleString()} ${n === 1 ? 'job' : 'jobs'}`;
}

/** Whether `action` can change some job in `state` (a running job is never touched). */
export function stateApplies(action: JobAction, state: JobState): boolean {
  return ACTION_WORDS[action].appliesTo.includes(state);
}

/**
 * Whether `action` can change `job`, as the API decides: a running job is never touched;
 * only a booking's assignment is retried or cancelled; an offer's expiry that has not run
 * yet is due when the provider's time to answer is up, never sooner.
 */
export function actionApplies(action: JobAction, job: Pick<Job, 'state' | 'kind'>): boolean {
  if (!stateApplies(action, job.state)) return false;
  if (action === 'run_now') return !(job.kind === 'expire_offer' && job.state === 'scheduled');
  return job.kind === 'assign_provider';
}

/**
 * The report's first line: "Retried job #7" when one job named by id changed, else
 * "Retried 3 jobs", "Cancelled 1 job", "Made 2 jobs due now"; "No job was retried." for none.
 */
export function reportHeadline(action: JobAction, request: JobActionRequest, report: ActionReport): string {
  const words = ACTION_WORDS[action];
  if (report.changed === 0) return words.none;
  if ('ids' in request && request.ids.length === 1 && report.changed === 1) return words.done(`job #${request.ids[0]}`);
  return words.done(jobs(report.changed));
}

/** "and 3 more skipped" when the API listed only some of the skipped jobs; null otherwise. */
export function moreSkipped(report: ActionReport): string | null {
  const more = report.skipped_count - report.skipped.length;
  return more > 0 ? `and ${more.toLocaleString()} more skipped` : null;
}
