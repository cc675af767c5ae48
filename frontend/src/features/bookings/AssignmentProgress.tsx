import type { Assignment } from '../../api/types';
import { Notice } from '../../ui/Feedback';
import { useNow } from '../../ui/time';

/** Whole seconds until a waiting retry's next try; null when none waits, or it is due. */
function secondsToNextTry(a: Assignment, now: number): number | null {
  if (a.state !== 'retrying' && a.state !== 'scheduled') return null;
  const due = a.next_attempt_at ? new Date(a.next_attempt_at).getTime() : NaN;
  const s = Math.ceil((due - now) / 1000);
  return s > 0 ? s : null;
}

/** "Attempt 2 of 4". */
function attemptOf(a: Assignment): string {
  return `Attempt ${a.attempt} of ${a.max_attempts}`;
}

/** "Attempt 2 of 4, next try in 4 s" for a waiting retry, or what the job is doing now. */
export function progressText(a: Assignment, now: number): string | null {
  const head = attemptOf(a);
  const s = secondsToNextTry(a, now);
  if (s !== null) return `${head}, next try in ${s} s`;
  if (a.state === 'retrying' || a.state === 'scheduled') return `${head}, trying now…`;
  if (a.state === 'running') return `${head}, finding a provider…`;
  return null;
}

interface Props {
  assignment: Assignment | null;
  exhausted: boolean;
  /** What the reader can do about an exhausted assignment. */
  exhaustedHint?: string;
  /** The customer's page: an exhausted search in their words. */
  forCustomer?: boolean;
}

export function AssignmentProgress({ assignment, exhausted, exhaustedHint, forCustomer = false }: Props) {
  const counting = !!assignment && !exhausted && (assignment.state === 'retrying' || assignment.state === 'scheduled');
  const now = useNow(250, counting);

  if ((exhausted || assignment?.exhausted) && forCustomer) {
    // The dispatcher's business in the customer's words: what happens next, not attempts.
    return (
      <Notice tone="warning" testId="assignment-exhausted">
        <strong>No provider found yet.</strong> Our dispatchers have been told: they will find someone by hand or get in touch with you.
        This page updates as soon as they do.
      </Notice>
    );
  }
  if (exhausted || assignment?.exhausted) {
    // An operator who cancelled the search is the reason, not the attempts.
    const cancelled = assignment?.state === 'cancelled';
    return (
      <Notice tone="warning" testId="assignment-exhausted">
        {cancelled ? (
          <>
            <strong>Assignment cancelled.</strong> An operator stopped the search for a provider
          </>
        ) : (
          <>
            <strong>Assignment exhausted.</strong> No provider could be assigned
            {assignment ? ` after ${assignment.max_attempts} attempts` : ''}
            {assignment?.last_error ? ` (last: ${assignment.last_error})` : ''}
          </>
        )}
        . {exhaustedHint ?? 'An admin can retry it or assign a provider by hand; this page updates when they do.'}
      </Notice>
    );
  }
  if (!assignment) return null;
  const text = progressText(assignment, now);
  if (!text) return null;
  // The seconds count down on screen only: read out, they would be announced every second.
  const spoken = secondsToNextTry(assignment, now) !== null ? `${attemptOf(assignment)}, waiting to try again` : null;
  return (
    <Notice tone="info" testId="assignment-progress">
      <span className="spinner" aria-hidden="true" />{' '}
      {spoken ? (
        <>
          <span aria-hidden="true">{text}</span>
          <span className="visually-hidden">{spoken}</span>
        </>
      ) : (
        text
      )}
      {assignment.last_error && assignment.attempt > 1 && <span className="block muted">Last attempt: {assignment.last_error}</span>}
    </Notice>
  );
}
