import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import { STATUSES, isRequestable, type BookingDetail, type RequestedStatus } from '../../api/types';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { ErrorAlert, Notice } from '../../ui/Feedback';
import { SelectField, TextAreaField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { useChangeStatus } from './api';
import { statusLabel } from './status';

const FIELDS = [
  { name: 'status', label: 'New status' },
  { name: 'reason', label: 'Reason' },
];

/** Force any status, with a mandatory reason, after a confirmation that this bypasses the rules. */
export function OverridePanel({ booking }: { booking: BookingDetail }) {
  const change = useChangeStatus(booking.id);
  const { form, attempt, failed, visible } = useFormFeedback();
  const [status, setStatus] = useState<RequestedStatus | ''>('');
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<{ status?: string; reason?: string }>({});
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    change.reset();
    const errs: typeof errors = {};
    if (!status) errs.status = 'Choose the status to force.';
    else if (status === booking.status) errs.status = `The booking is already ${statusLabel(status).toLowerCase()}.`;
    if (!reason.trim()) errs.reason = 'An override needs a reason: it is recorded in the history.';
    setErrors(errs);
    if (errs.status || errs.reason) failed();
    else setConfirming(true);
  };

  const confirm = () => {
    if (!status) return;
    change.mutate(
      { status, reason: reason.trim(), override: true, expected_version: booking.version },
      {
        onSuccess: () => {
          setDone(`Status forced to ${statusLabel(status).toLowerCase()}.`);
          setStatus('');
          setReason('');
        },
        onError: (err) => {
          if (err instanceof ApiError && Object.keys(err.fields).length) failed();
        },
        onSettled: () => setConfirming(false),
      },
    );
  };

  const rawFields = change.error instanceof ApiError ? change.error.fields : {};
  const fields = visible(rawFields);
  const own = visible(errors);
  const messages = summaryMessages(FIELDS, own, fields);
  return (
    <form {...form} onSubmit={submit} noValidate aria-labelledby="override-title">
      <h2 id="override-title">Override status</h2>
      <p className="muted">Force any status, outside the usual rules. Use it to correct mistakes.</p>
      {messages.length > 0 && <ErrorSummary key={attempt} messages={messages} />}
      <SelectField
        id="override-status"
        name="status"
        label="New status"
        value={status}
        error={own.status ?? fields.status}
        onChange={(e) => setStatus(e.target.value as RequestedStatus | '')}
      >
        <option value="">Choose a status…</option>
        {STATUSES.filter(isRequestable).map((s) => (
          <option key={s} value={s}>
            {statusLabel(s)}
          </option>
        ))}
      </SelectField>
      <TextAreaField
        id="override-reason"
        name="reason"
        label="Reason"
        rows={2}
        required
        value={reason}
        error={own.reason ?? fields.reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <div className="actions">
        <button type="submit" className="btn btn--danger">
          Override…
        </button>
      </div>
      {change.error && !Object.keys(rawFields).length && <ErrorAlert>{errorMessage(change.error)}</ErrorAlert>}
      {done && (
        <Notice tone="success" onDismiss={() => setDone(null)}>
          {done}
        </Notice>
      )}
      <ConfirmDialog
        open={confirming}
        title="Override the booking status?"
        confirmLabel={`Force ${status ? statusLabel(status).toLowerCase() : ''}`}
        danger
        busy={change.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={confirm}
      >
        <p>
          This bypasses the booking rules: booking #{booking.id} goes from <strong>{statusLabel(booking.status)}</strong> straight to{' '}
          <strong>{status ? statusLabel(status) : ''}</strong>, whatever the state machine allows.
        </p>
        <p>It is recorded in the history as an override by you, with the reason “{reason.trim()}”.</p>
      </ConfirmDialog>
    </form>
  );
}
