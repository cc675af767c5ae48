import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import type { NewProvider, Provider, ServiceType, ServiceTypeName } from '../../api/types';
import { ErrorAlert, Loading, Notice } from '../../ui/Feedback';
import { TextField } from '../../ui/Field';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { useCreateProvider, useServiceTypes } from './api';
import { missingProviderFields, ProviderFields } from './ProviderFields';
import { PendingButton } from '../../ui/PendingButton';

const EMPTY = { name: '', email: '', phone: '', rating: '', password: '', available: true, service_types: [] as ServiceTypeName[] };
const FIELDS = [
  { name: 'name', label: 'Name' },
  { name: 'email', label: 'E-mail' },
  { name: 'phone', label: 'Phone' },
  { name: 'rating', label: 'Rating' },
  { name: 'password', label: 'Password' },
  { name: 'service_types', label: 'Services offered' },
];

export function ProviderForm({ serviceTypes, onCreated }: { serviceTypes: ServiceType[]; onCreated: (p: Provider) => void }) {
  const create = useCreateProvider();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [v, setV] = useState(EMPTY);
  const [local, setLocal] = useState<Record<string, string>>({});

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const errs = missingProviderFields(v);
    const rating = v.rating.trim() ? Number(v.rating) : undefined;
    if (rating !== undefined && (Number.isNaN(rating) || rating < 0 || rating > 5)) errs.rating = 'Rating is a number from 0 to 5.';
    setLocal(errs);
    if (Object.keys(errs).length) {
      create.reset();
      failed();
      return;
    }
    const body: NewProvider = { name: v.name.trim(), email: v.email.trim(), service_types: v.service_types, available: v.available };
    if (v.phone.trim()) body.phone = v.phone.trim();
    if (rating !== undefined) body.rating = rating;
    if (v.password) body.password = v.password;
    create.mutate(body, {
      onSuccess: (p) => {
        setV(EMPTY);
        onCreated(p);
      },
      onError: () => failed(),
    });
  };

  const err = create.error instanceof ApiError ? create.error : null;
  const rawFields: Record<string, string> = { ...(err?.fields ?? {}) };
  if (err?.code === 'duplicate_email' && !rawFields.email) rawFields.email = err.message;
  const fields = visible(rawFields);
  const own = visible(local);
  const fe = (k: string) => own[k] ?? fields[k];
  const set = (k: 'rating' | 'password') => (e: { target: { value: string } }) => setV((x) => ({ ...x, [k]: e.target.value }));
  const messages = summaryMessages(FIELDS, own, fields);
  const fieldless = create.error && !Object.keys(rawFields).length;

  return (
    <form {...form} onSubmit={submit} noValidate className="form-grid" aria-labelledby="new-provider-title">
      <h2 id="new-provider-title" className="span-all">
        Add a provider
      </h2>
      {(messages.length > 0 || fieldless) && (
        <div className="span-all">
          {messages.length > 0 ? <ErrorSummary key={attempt} messages={messages} /> : <ErrorAlert>{errorMessage(create.error)}</ErrorAlert>}
        </div>
      )}
      <ProviderFields
        idPrefix="provider"
        values={v}
        serviceTypes={serviceTypes}
        error={fe}
        onChange={(change) => setV((x) => ({ ...x, ...change }))}
      >
        <TextField
          id="provider-rating"
          name="rating"
          label="Rating (optional, 0–5)"
          type="number"
          min={0}
          max={5}
          step={0.1}
          inputMode="decimal"
          value={v.rating}
          error={fe('rating')}
          onChange={set('rating')}
        />
        <TextField
          id="provider-password"
          name="password"
          label="Password (optional)"
          type="password"
          autoComplete="new-password"
          hint="Set one to give the provider a login of their own."
          value={v.password}
          error={fe('password')}
          onChange={set('password')}
        />
        <div className="field">
          <span className="label-like">Availability</span>
          <label className="checkbox" htmlFor="provider-available">
            <input
              id="provider-available"
              type="checkbox"
              checked={v.available}
              onChange={(e) => setV((x) => ({ ...x, available: e.target.checked }))}
            />
            Available for new bookings
          </label>
        </div>
      </ProviderFields>
      <div className="actions span-all">
        <PendingButton type="submit" className="btn btn--primary" pending={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add provider'}
        </PendingButton>
      </div>
    </form>
  );
}

/** The form for a new provider in its card, with the services to choose from and word of the one added. */
export function AddProvider() {
  const types = useServiceTypes();
  const [created, setCreated] = useState<Provider | null>(null);
  return (
    <div className="card">
      {types.isPending ? (
        <Loading label="Loading services…" />
      ) : types.isError ? (
        <ErrorAlert error={types.error} />
      ) : (
        <ProviderForm serviceTypes={types.data} onCreated={setCreated} />
      )}
      {created && (
        <Notice tone="success" testId="provider-created" onDismiss={() => setCreated(null)}>
          Added {created.name} (provider #{created.id}).
        </Notice>
      )}
    </div>
  );
}
