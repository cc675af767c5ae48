import { useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage, sentence } from '../../api/client';
import { isRequestable, type Booking, type BookingStatus } from '../../api/types';
import { ErrorAlert } from '../../ui/Feedback';
import { TextAreaField } from '../../ui/Field';
import { ErrorSummary, useFormFeedback } from '../../ui/formFeedback';
import { formatWindow, useNow } from '../../ui/time';
import { useToast } from '../../ui/Toast';
import { useChangeStatus } from './api';
import { earliestMove } from './moves';
import './StatusActions.css';

interface ActionSpec {
  label: string;
  tone: 'primary' | 'danger' | 'plain';
  /** Whether the move asks for a reason, and the question it asks. */
  reason?: { required: boolean; prompt: string; confirm: string };
}

const ACTIONS: Partial<Record<BookingStatus, ActionSpec>> = {
  accepted: { label: 'Accept', tone: 'primary' },
  in_progress: { label: 'Start', tone: 'primary' },
  // A completed job is closed for good: the button asks once more, and takes a note.
  completed: {
    label: 'Complete',
    tone: 'primary',
    reason: {
      required: false,
      prompt: 'Anything to note about the work? (optional; for dispatch, in the booking history)',
      confirm: 'Mark the job complete',
    },
  },
  rejected: {
    label: 'Reject',
    tone: 'danger',
    reason: { required: true, prompt: 'Why are you rejecting this booking?', confirm: 'Reject booking' },
  },
  no_show: {
    label: 'No-show',
    tone: 'danger',
    reason: { required: false, prompt: 'What happened? (optional)', confirm: 'Mark as no-show' },
  },
  cancelled: {
    label: 'Cancel booking',
    tone: 'danger',
    reason: { required: true, prompt: 'Why are you cancelling?', confirm: 'Cancel booking' },
  },
  pending: { label: 'Back to pending', tone: 'plain' },
};

/**
 * A no-show names who was absent, and the booking's status says who it can be: before the
 * work started only the provider can have failed to come (the booking goes back to
 * dispatch); once started, only the customer (the booking closes).
 */
const NO_SHOW: Record<'provider' | 'customer', ActionSpec> = {
  provider: {
    label: 'Provider did not come',
    tone: 'danger',
    reason: {
      required: false,
      prompt: 'What happened? (optional) We will send another provider.',
      confirm: 'Report the provider absent',
    },
  },
  customer: {
    label: 'Customer absent',
    tone: 'danger',
    reason: { required: false, prompt: 'What happened? (optional)', confirm: 'Report the customer absent' },
  },
};

/** What a move is called for a booking in `from`. */
function actionFor(s: BookingStatus, from: BookingStatus | undefined): ActionSpec | undefined {
  if (s === 'no_show' && from) return NO_SHOW[from === 'accepted' ? 'provider' : 'customer'];
  return ACTIONS[s];
}

/** What the toast says once a move is made. */
const DONE: Partial<Record<BookingStatus, string>> = {
  accepted: 'accepted',
  in_progress: 'started',
  completed: 'completed',
  rejected: 'rejected',
  cancelled: 'cancelled',
  pending: 'back to pending',
};

const ORDER: BookingStatus[] = ['accepted', 'in_progress', 'completed', 'no_show', 'rejected', 'pending', 'cancelled'];

function describe(err: unknown): string {
  if (err instanceof ApiError && err.code === 'version_conflict') {
    return 'This booking changed while you were looking at it. The page now shows the latest; check it and try again.';
  }
  if (err instanceof ApiError && err.code === 'invalid_transition') {
    return `${errorMessage(err)} The page now shows the booking as it is.`;
  }
  return errorMessage(err);
}

/** A booking with the moves its viewer may make, and when it starts (the clock holds some moves back). */
export type MovableBooking = Pick<Booking, 'id' | 'version'> & {
  allowed_transitions: BookingStatus[];
  status?: BookingStatus;
  starts_at?: string;
  time_zone?: string;
};

/**
 * One button per move the caller may make (`allowed_transitions`: the API's, on a
 * booking's page); nothing else is offered. Moves that need a reason ask for it inline. A
 * move the clock still holds back (starting work, a no-show) is shown disabled, with when
 * it can be made, on the booking's clock.
 */
export function StatusActions({
  booking,
  only,
  confirmationsStay = false,
}: {
  booking: MovableBooking;
  only?: BookingStatus[];
  /** Whether the word that a move was made stays until dismissed (an operator's), rather than a few seconds. */
  confirmationsStay?: boolean;
}) {
  const toast = useToast();
  const change = useChangeStatus(booking.id, (b, c) => {
    const absent = b.absent === 'customer' ? 'customer reported absent' : 'provider reported absent';
    toast(`Booking #${b.id} ${c.status === 'no_show' ? absent : (DONE[c.status] ?? c.status)}.`, 'success', { stay: confirmationsStay });
  });
  const { form, attempt, failed, visible } = useFormFeedback();
  const [asking, setAsking] = useState<BookingStatus | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | undefined>();
  const reasonField = useRef<HTMLTextAreaElement>(null);
  // The reason's field takes focus as it opens. (An `autofocus` attribute would not do: a
  // browser honours it only for the first element that asks, while the page loads.)
  useLayoutEffect(() => {
    if (asking) reasonField.current?.focus();
  }, [asking]);
  // Where focus goes when what held it goes away: back to the button that opened the reason's
  // form when it closes; after a move is made, to the first action left, once the booking
  // shows the move (unless the person has gone elsewhere meanwhile).
  const root = useRef<HTMLDivElement>(null);
  const refocus = useRef<{ to: BookingStatus | 'first'; after: number } | null>(null);
  useLayoutEffect(() => {
    const want = refocus.current;
    if (!want || asking || (want.to === 'first' && booking.version === want.after)) return;
    refocus.current = null;
    const here = root.current;
    const focused = document.activeElement;
    if (!here || (focused && focused !== document.body && !here.contains(focused))) return;
    const target =
      (want.to !== 'first' && here.querySelector<HTMLElement>(`[data-transition="${want.to}"]:not([disabled])`)) ||
      here.querySelector<HTMLElement>('.actions button:not([disabled])');
    target?.focus();
  });
  const close = () => {
    if (change.isPending || !asking) return;
    refocus.current = { to: asking, after: booking.version };
    setAsking(null);
  };

  const moves = ORDER.filter((s) => booking.allowed_transitions.includes(s) && ACTIONS[s] && (!only || only.includes(s)));
  const spec = (s: BookingStatus) => actionFor(s, booking.status)!;
  const earliest = (s: BookingStatus) => (booking.starts_at ? earliestMove(s, booking.starts_at) : null);
  const held = moves.some((s) => earliest(s) !== null);
  const now = useNow(30_000, held);
  if (!moves.length) return null;
  /** When `s` can be made, while the clock holds it back. */
  const notYet = (s: BookingStatus): string | null => {
    const from = earliest(s);
    if (from === null || now >= from) return null;
    return formatWindow(new Date(from).toISOString(), null, booking.time_zone ?? 'UTC');
  };
  const waiting = moves.filter((s) => notYet(s) !== null);

  const run = (status: BookingStatus, why?: string) => {
    if (!isRequestable(status)) return;
    change.mutate(
      { status, reason: why || undefined, expected_version: booking.version },
      {
        onSuccess: () => {
          refocus.current = { to: 'first', after: booking.version };
          setAsking(null);
          setReason('');
        },
        // The API refused the reason: back to the field, as after a failed check here.
        onError: (err) => {
          if (err instanceof ApiError && err.fields.reason) failed();
        },
      },
    );
  };

  const click = (s: BookingStatus) => {
    if (change.isPending) return;
    change.reset();
    if (spec(s).reason) {
      setAsking(s);
      setReason('');
      setReasonError(undefined);
    } else {
      run(s);
    }
  };

  const submitReason = (e: FormEvent) => {
    e.preventDefault();
    if (!asking || change.isPending) return;
    const asked = spec(asking).reason!;
    if (asked.required && !reason.trim()) {
      setReasonError('Give a reason: it is recorded in the booking history.');
      failed();
      return;
    }
    setReasonError(undefined);
    run(asking, reason.trim());
  };

  const apiFields = change.error instanceof ApiError ? change.error.fields : {};
  const reasonShown = visible({ reason: reasonError ?? apiFields.reason }).reason;
  const asked = asking ? spec(asking) : null;

  return (
    <div className="status-actions" ref={root}>
      {!asking && (
        <div className="actions" role="group" aria-label="Booking actions">
          {moves.map((s) => {
            const a = spec(s);
            const later = notYet(s) !== null;
            return (
              <button
                key={s}
                type="button"
                className={`btn ${a.tone === 'primary' ? 'btn--primary' : a.tone === 'danger' ? 'btn--danger' : ''}`}
                disabled={later}
                aria-disabled={change.isPending || undefined}
                aria-describedby={later ? `not-yet-${booking.id}-${s}` : undefined}
                onClick={() => click(s)}
                data-transition={s}
              >
                {change.isPending && change.variables?.status === s ? 'Saving…' : a.label}
              </button>
            );
          })}
        </div>
      )}
      {!asking &&
        waiting.map((s) => (
          <p key={s} id={`not-yet-${booking.id}-${s}`} className="muted status-actions__not-yet" data-testid="not-yet">
            {spec(s).label}: from {notYet(s)}
          </p>
        ))}
      {asking && asked?.reason && (
        <form
          {...form}
          onSubmit={submitReason}
          onKeyDown={(e) => {
            if (e.key === 'Escape') close();
          }}
          className="reason-form"
          noValidate
        >
          {reasonShown && <ErrorSummary key={attempt} messages={[sentence(reasonShown)]} />}
          <TextAreaField
            id={`reason-${booking.id}-${asking}`}
            ref={reasonField}
            name="reason"
            label={asked.reason.prompt}
            rows={2}
            required={asked.reason.required}
            value={reason}
            error={reasonShown}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="actions">
            <button
              type="submit"
              className={`btn ${asked.tone === 'primary' ? 'btn--primary' : 'btn--danger'}`}
              aria-disabled={change.isPending || undefined}
            >
              {change.isPending ? 'Saving…' : asked.reason.confirm}
            </button>
            <button type="button" className="btn" onClick={close} aria-disabled={change.isPending || undefined}>
              Back
            </button>
          </div>
        </form>
      )}
      {change.error && !apiFields.reason && <ErrorAlert>{describe(change.error)}</ErrorAlert>}
    </div>
  );
}
