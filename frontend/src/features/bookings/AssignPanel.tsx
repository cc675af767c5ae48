import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { ApiError, errorMessage } from '../../api/client';
import type { BookingDetail } from '../../api/types';
import { ErrorAlert, Loading, Notice } from '../../ui/Feedback';
import { SelectField, TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { useProviders } from '../providers';
import { ratingSummary } from '../ratings';
import { useAssign } from './api';
import { PendingButton } from '../../ui/PendingButton';

/** Nobody holds it: assign. */
const ASSIGNABLE = new Set(['pending', 'rejected', 'no_show']);
/** A provider holds it and has not started: reassign, in one step. */
const REASSIGNABLE = new Set(['assigned', 'accepted']);
const FIELDS = [
  { name: 'provider_id', label: 'Provider' },
  { name: 'reason', label: 'Reason' },
];

/**
 * Assign by hand: any active provider offering the service, with their load and rating to
 * choose by. A booking a provider holds and has not started is reassigned to another in one
 * step (the holder is not offered).
 */
export function AssignPanel({ booking }: { booking: BookingDetail }) {
  const providers = useProviders(booking.service_type);
  const assign = useAssign(booking.id);
  const { form, attempt, failed, visible } = useFormFeedback();
  const [providerId, setProviderId] = useState('');
  const [reason, setReason] = useState('');
  const [pickError, setPickError] = useState<string | undefined>();
  const [done, setDone] = useState<string | null>(null);
  // After a 409 provider_busy: whether to assign anyway, overlapping (an override, with a reason).
  const [allowOverlap, setAllowOverlap] = useState(false);
  const [reasonError, setReasonError] = useState<string | undefined>();

  // The word that it was assigned stays until dismissed, though the booking has moved on.
  const doneNotice = done && (
    <Notice tone="success" testId="assign-done" onDismiss={() => setDone(null)}>
      {done}
    </Notice>
  );

  const holder = REASSIGNABLE.has(booking.status) ? booking.provider_id : null;
  if (!ASSIGNABLE.has(booking.status) && holder === null) {
    return (
      <div>
        <h2>Assign by hand</h2>
        <p className="muted">
          A booking can be assigned by hand while it is pending, rejected or a no-show, and given to another provider while it is assigned
          or accepted.
        </p>
        {doneNotice}
      </div>
    );
  }
  const reassign = holder !== null;
  const nameOf = (id: number) =>
    booking.provider_names?.[String(id)] ?? providers.data?.find((p) => p.id === id)?.name ?? `provider #${id}`;
  // Who can take it: active providers of the service, the holder aside.
  const choices = (providers.data ?? []).filter((p) => p.active && p.id !== holder);
  // Who already turned it down, or let the offer lapse: a dispatcher asks them again only
  // knowingly.
  const declined = new Set(
    booking.attempts
      .filter((a) => (a.outcome === 'rejected' || a.outcome === 'expired') && a.provider_id !== null)
      .map((a) => a.provider_id),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const pick = providerId ? undefined : 'Choose a provider.';
    const why = allowOverlap && !reason.trim() ? 'Give a reason to allow the overlap: it is recorded in the history.' : undefined;
    setPickError(pick);
    setReasonError(why);
    if (pick || why) {
      // Without a provider, what the API said of the last one is moot.
      if (pick) assign.reset();
      failed();
      return;
    }
    const to = nameOf(Number(providerId));
    const from = holder !== null ? nameOf(holder) : null;
    assign.mutate(
      { provider_id: Number(providerId), reason: reason.trim() || undefined, override: allowOverlap || undefined },
      {
        onSuccess: () => {
          const overlap = allowOverlap ? ', overlap allowed' : '';
          setDone(from ? `Reassigned from ${from} to ${to}${overlap}.` : `Assigned to ${to}${overlap}.`);
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

  const rawFields = assign.error instanceof ApiError ? assign.error.fields : {};
  const fields = visible(rawFields);
  const own = visible({ provider_id: pickError, reason: reasonError });
  const messages = summaryMessages(FIELDS, own, fields);
  const busy = assign.error instanceof ApiError && assign.error.code === 'provider_busy' ? assign.error : null;
  return (
    <form {...form} onSubmit={submit} noValidate aria-labelledby="assign-title">
      <h2 id="assign-title">{reassign ? 'Reassign' : 'Assign by hand'}</h2>
      {holder !== null && (
        <p className="muted" data-testid="assign-holder">
          {nameOf(holder)} holds this booking ({booking.status === 'accepted' ? 'accepted' : 'not answered yet'}). Reassigning takes it from
          them and gives it to the provider you choose, in one step.
        </p>
      )}
      {messages.length > 0 && <ErrorSummary key={attempt} messages={messages} />}
      {providers.isPending ? (
        <Loading label="Loading providers…" />
      ) : providers.isError ? (
        <ErrorAlert error={providers.error} />
      ) : choices.length === 0 ? (
        <p className="muted">
          {reassign ? 'No other active provider offers this service.' : 'No active provider offers this service.'} Add one, or reactivate
          one, on the Providers page.
        </p>
      ) : (
        <>
          <SelectField
            id="assign-provider"
            name="provider_id"
            label="Provider"
            value={providerId}
            error={own.provider_id ?? fields.provider_id}
            onChange={(e) => {
              setProviderId(e.target.value);
              setAllowOverlap(false);
              assign.reset();
            }}
          >
            <option value="">Choose a provider…</option>
            {choices.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} — load {p.active_bookings}, {ratingSummary(p.rating_mean, p.rating_count)}, rank {p.rating.toFixed(2)}
                {p.available ? '' : ' (unavailable)'}
                {declined.has(p.id) ? ' (declined this booking)' : ''}
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
                {reassign ? 'Reassign' : 'Assign'} anyway, overlapping (recorded as an override with the reason)
              </label>
            </div>
          )}
          <TextField
            id="assign-reason"
            name="reason"
            label={allowOverlap ? 'Reason (needed to allow the overlap)' : 'Reason (optional)'}
            value={reason}
            error={own.reason ?? fields.reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="actions">
            <PendingButton type="submit" className="btn btn--primary" pending={assign.isPending}>
              {assign.isPending ? (reassign ? 'Reassigning…' : 'Assigning…') : reassign ? 'Reassign' : 'Assign'}
            </PendingButton>
          </div>
        </>
      )}
      {assign.error && !busy && !Object.keys(rawFields).length && <ErrorAlert>{errorMessage(assign.error)}</ErrorAlert>}
      {doneNotice}
    </form>
  );
}
