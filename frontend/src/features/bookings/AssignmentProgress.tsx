import type { Assignment } from '../../api/types';
import { Notice } from '../../ui/Feedback';
import { useNow } from '../../ui/time';

/** "Attempt 2 of 4, next try in 4 s" for a waiting retry, or what the job is doing now. */
export function progressText(a: Assignment, now: number): string | null {
  const head = `Attempt ${a.attempt} of ${a.max_attempts}`;
  if (a.state === 'retrying' || a.state === 'scheduled') {
    const due = a.next_attempt_at ? new Date(a.next_attempt_at).getTime() : NaN;
    if (!Number.isNaN(due)) {
      const s = Math.ceil((due - now) / 1000);
      if (s > 0) return `${head}, next try in ${s} s`;
    }
    return `${head}, trying now…`;
  }
  if (a.state === 'running') return `${head}, finding a provider…`;
  return null;
}

interface Props {
  assignment: Assignment | null;
  exhausted: boolean;
  /** What the reader can do about an exhausted assignment. */
  exhaustedHint?: string;
}

export function AssignmentProgress({ assignment, exhausted, exhaustedHint }: Props) {
  const counting = !!assignment && !exhausted && (assignment.state === 'retrying' || assignment.state === 'scheduled');
  const now = useNow(250, counting);

  if (exhausted || assignment?.exhausted) {
    return (
      <Notice tone="warning" testId="assignment-exhausted">
        <strong>Assignment exhausted.</strong> No provider could be assigned
        {assignment ? ` after ${assignment.max_attempts} attempts` : ''}
        {assignment?.last_error ? ` (last: ${assignment.last_error})` : ''}.{' '}
        {exhaustedHint ?? 'An admin can retry it or assign a provider by hand; this page updates when they do.'}
      </Notice>
    );
  }
  if (!assignment) return null;
  const text = progressText(assignment, now);
  if (!text) return null;
  return (
    <Notice tone="info" testId="assignment-progress">
      <span className="spinner" aria-hidden="true" /> {text}
      {assignment.last_error && assignment.attempt > 1 && <span className="block muted">Last attempt: {assignment.last_error}</span>}
    </Notice>
  );
}
