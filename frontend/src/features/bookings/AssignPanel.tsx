import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import type { BookingDetail } from '../../api/types';
import { ErrorAlert, Loading, Notice } from '../../ui/Feedback';
import { SelectField, TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { useProviders } from '../providers';
import { useAssign } from './api';

const ASSIGNABLE = new Set(['pending', 'rejected', 'no_show']);
const FIELDS = [
  { name: 'provider_id', label: 'Provider' },
  { name: 'reason', label: 'Reason' },
];

/** Assign by hand: any provider offering the service, with their load and rating to choose by. */
export function AssignPanel({ booking }: { booking: BookingDetail }) {
  const providers = useProviders(booking.service_type);
  const assign = useAssign(booking.id);
  const { formRef, attempt, failed } = useFormFeedback();
  const [providerId, setProviderId] = useState('');
  const [reason, setReason] = useState('');
  const [pickError, setPickError] = useState<string | undefined>();
  const [done, setDone] = useState<string | null>(null);
  // After a 409 provider_busy: whether to assign anyway, overlapping (an override, with a reason).
  const [allowOverlap, setAllowOverlap] = useState(false);
  const [reasonError, setReasonError] = useState<string | undefined>();

  if (!ASSIGNABLE.has(booking.status)) {
    return (
      <div>
        <h2>Assign by hand</h2>
        <p className="muted">A booking can be assigned by hand while it is pending, rejected or a no-show.</p>
      </div>
    );
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    if (!providerId) {
      setPickError('Choose a provider.');
      assign.reset();
      failed();
      return;
    }
    if (allowOverlap && !reason.trim()) {
      setReasonError('Give a reason to allow the overlap: it is recorded in the history.');
      failed();
      return;
    }
    const chosen = providers.data?.find((p) => p.id === Number(providerId));
    assign.mutate(
      { provider_id: Number(providerId), reason: reason.trim() || undefined, override: allowOverlap || undefined },
      {
        onSuccess: () => {
          setDone(`Assigned to ${chosen?.name ?? `provider #${providerId}`}${allowOverlap ? ', overlap allowed' : ''}.`);
          setProviderId('');
          setReason('');
          setAllowOverlap(false);
        },
        onError: (err) => {
          if (err instanceof ApiError && Object.keys(err.fields).length) failed();
        },
      },
    );
  };

  const fields = assign.error instanceof ApiError ? assign.error.fields : {};
  const messages = summaryMessages(FIELDS, { provider_id: pickError, reason: reasonError }, fields);
  const busy = assign.error instanceof ApiError && assign.error.code === 'provider_busy' ? assign.error : null;
  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-labelledby="assign-title">
      <h2 id="assign-title">Assign by hand</h2>
      {messages.length > 0 && <ErrorSummary key={attempt} messages={messages} />}
      {providers.isPending ? (
        <Loading label="Loading providers…" />
      ) : providers.isError ? (
        <ErrorAlert error={providers.error} />
      ) : providers.data.length === 0 ? (
        <p className="muted">No provider offers this service yet. Add one on the Providers page.</p>
      ) : (
        <>
          <SelectField
            id="assign-provider"
            label="Provider"
            value={providerId}
            error={pickError ?? fields.provider_id}
            onChange={(e) => {
              setProviderId(e.target.value);
              setPickError(undefined);
              setAllowOverlap(false);
              assign.reset();
            }}
          >
            <option value="">Choose a provider…</option>
            {providers.data.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} — load {p.active_bookings}, rating {p.rating.toFixed(1)}
                {p.available ? '' : ' (unavailable)'}
              </option>
            ))}
          </SelectField>
          {busy && (
            <div className="alert alert--warning" role="alert" data-testid="provider-busy">
              <p>
                {errorMessage(busy)}
                {typeof busy.details.booking_id === 'number' && (
                  <>
                    {' '}
                    (<Link to={`/admin/bookings/${busy.details.booking_id}`}>booking #{busy.details.booking_id}</Link>)
                  </>
                )}
              </p>
              <label className="checkbox" htmlFor="assign-overlap">
                <input id="assign-overlap" type="checkbox" checked={allowOverlap} onChange={(e) => setAllowOverlap(e.target.checked)} />
                Assign anyway, overlapping (recorded as an override with the reason)
              </label>
            </div>
          )}
          <TextField
            id="assign-reason"
            label={allowOverlap ? 'Reason (needed to allow the overlap)' : 'Reason (optional)'}
            value={reason}
            error={reasonError ?? fields.reason}
            onChange={(e) => {
              setReason(e.target.value);
              setReasonError(undefined);
            }}
          />
          <div className="actions">
            <button type="submit" className="btn btn--primary" disabled={assign.isPending}>
              {assign.isPending ? 'Assigning…' : 'Assign'}
            </button>
          </div>
        </>
      )}
      {assign.error && !busy && !Object.keys(fields).length && <ErrorAlert>{errorMessage(assign.error)}</ErrorAlert>}
      {done && <Notice tone="success">{done}</Notice>}
    </form>
  );
}
