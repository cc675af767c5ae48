import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import type { Provider, ProviderPatch, ServiceType } from '../../api/types';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { ErrorAlert, Notice } from '../../ui/Feedback';
import { ErrorSummary, summaryMessages, useFormFeedback } from '../../ui/formFeedback';
import { formatDateTime } from '../../ui/time';
import { useUpdateProvider } from './api';
import { missingProviderFields, ProviderFields, type ProviderFieldValues } from './ProviderFields';
import { PendingButton } from '../../ui/PendingButton';
import './ProviderEditor.css';

const FIELDS = [
  { name: 'name', label: 'Name' },
  { name: 'email', label: 'E-mail' },
  { name: 'phone', label: 'Phone' },
  { name: 'service_types', label: 'Services offered' },
];

/** What changed between the provider and the form: only that is sent. */
function patchOf(p: Provider, v: ProviderFieldValues): ProviderPatch {
  const patch: ProviderPatch = {};
  if (v.name.trim() !== p.name) patch.name = v.name.trim();
  if (v.email.trim() !== p.email) patch.email = v.email.trim();
  if (v.phone.trim() !== (p.phone ?? '')) patch.phone = v.phone.trim();
  const same = v.service_types.length === p.service_types.length && v.service_types.every((s) => p.service_types.includes(s));
  if (!same) patch.service_types = v.service_types;
  return patch;
}

/**
 * An admin's form for a provider's details: name, e-mail (their login's too), phone and the
 * services they offer. Sends what changed; the word that it was saved stays until dismissed.
 */
export function ProviderEditor({ provider, serviceTypes }: { provider: Provider; serviceTypes: ServiceType[] }) {
  const update = useUpdateProvider();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [v, setV] = useState<ProviderFieldValues>({
    name: provider.name,
    email: provider.email,
    phone: provider.phone ?? '',
    service_types: provider.service_types,
  });
  const [local, setLocal] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    const errs = missingProviderFields(v);
    setLocal(errs);
    if (Object.keys(errs).length) {
      update.reset();
      failed();
      return;
    }
    const patch = patchOf(provider, v);
    if (!Object.keys(patch).length) {
      update.reset();
      setSaved('Nothing to save: the details are as they were.');
      return;
    }
    update.mutate(
      { id: provider.id, patch },
      {
        onSuccess: (p) => setSaved(`Saved ${p.name}’s details.`),
        onError: (err) => {
          if (err instanceof ApiError && (Object.keys(err.fields).length || err.code === 'duplicate_email')) failed();
        },
      },
    );
  };

  const err = update.error instanceof ApiError ? update.error : null;
  const rawFields: Record<string, string> = { ...(err?.fields ?? {}) };
  // A taken e-mail is about the e-mail field: say it there.
  if (err?.code === 'duplicate_email' && !rawFields.email) rawFields.email = err.message;
  const fields = visible(rawFields);
  const own = visible(local);
  const fe = (k: string) => own[k] ?? fields[k];
  const messages = summaryMessages(FIELDS, own, fields);
  const fieldless = update.error && !Object.keys(rawFields).length;

  return (
    <form {...form} onSubmit={submit} noValidate className="form-grid provider-editor" aria-label={`Details of ${provider.name}`}>
      {(messages.length > 0 || fieldless) && (
        <div className="span-all">
          {messages.length > 0 ? <ErrorSummary key={attempt} messages={messages} /> : <ErrorAlert>{errorMessage(update.error)}</ErrorAlert>}
        </div>
      )}
      <ProviderFields
        idPrefix="edit-provider"
        values={v}
        serviceTypes={serviceTypes}
        error={fe}
        emailHint={provider.user_id !== null ? 'Their login’s e-mail changes with it.' : undefined}
        onChange={(change) => setV((x) => ({ ...x, ...change }))}
      />
      <div className="actions span-all">
        <PendingButton type="submit" className="btn btn--primary" pending={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save details'}
        </PendingButton>
      </div>
      {saved && (
        <div className="span-all">
          <Notice tone="success" testId="provider-saved" onDismiss={() => setSaved(null)}>
            {saved}
          </Notice>
        </div>
      )}
    </form>
  );
}

/**
 * Deactivating a provider (after a confirmation that says what happens to their bookings) or
 * reactivating one. The word of what was done stays until dismissed.
 */
export function ProviderActivation({ provider }: { provider: Provider }) {
  const update = useUpdateProvider();
  const [asking, setAsking] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const change = (active: boolean) =>
    update.mutate(
      { id: provider.id, patch: { active } },
      {
        onSuccess: (p) =>
          setDone(
            p.active
              ? `${p.name} is active again: they can be offered work and assigned.`
              : `${p.name} is deactivated. The bookings they held and had not started went back to dispatch.`,
          ),
        onSettled: () => setAsking(false),
      },
    );
  const load = provider.active_bookings;
  return (
    <div className="provider-activation" data-testid="provider-activation" data-active={provider.active}>
      {provider.active ? (
        <>
          <p className="muted">
            A provider who leaves, or must stop for a while: deactivated, they are offered no work and cannot be assigned.
          </p>
          <div className="actions">
            <PendingButton type="button" className="btn btn--danger" onClick={() => setAsking(true)} pending={update.isPending}>
              Deactivate
            </PendingButton>
          </div>
        </>
      ) : (
        <>
          <p>
            Deactivated: offered no work, not assignable.{' '}
            {provider.deactivated_at && <span className="muted">Since {formatDateTime(provider.deactivated_at)}.</span>}
          </p>
          <div className="actions">
            <PendingButton type="button" className="btn btn--primary" onClick={() => change(true)} pending={update.isPending}>
              {update.isPending ? 'Reactivating…' : 'Reactivate'}
            </PendingButton>
          </div>
        </>
      )}
      {update.error && <ErrorAlert>Could not change it. {errorMessage(update.error)}</ErrorAlert>}
      {done && (
        <Notice tone="success" testId="provider-activation-done" onDismiss={() => setDone(null)}>
          {done}
        </Notice>
      )}
      <ConfirmDialog
        open={asking}
        title={`Deactivate ${provider.name}?`}
        confirmLabel="Deactivate"
        danger
        busy={update.isPending}
        onCancel={() => setAsking(false)}
        onConfirm={() => change(false)}
      >
        <p>
          {provider.name} gets no new work and cannot be assigned.{' '}
          {load > 0
            ? `Their open bookings (${load} now) that have not started go back to dispatch at once, to be offered to other providers; a job under way stays with them.`
            : 'They hold no open booking now.'}
        </p>
        <p className="muted">Their history, reviews and login stay. You can reactivate them at any time.</p>
      </ConfirmDialog>
    </div>
  );
}
