import { Link } from 'react-router';
import { useState } from 'react';
import { ApiError, errorMessage } from '../../api/client';
import type { Provider, ServiceType } from '../../api/types';
import { useCanAct } from '../auth';
import { ratingSummary } from '../ratings';
import { CheckboxGroup } from '../../ui/CheckboxGroup';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { ErrorSummary, useFormFeedback } from '../../ui/formFeedback';
import { useProviders, useServiceTypes, useUpdateProvider } from './api';
import { AvailabilityToggle } from './AvailabilityToggle';
import { PendingButton } from '../../ui/PendingButton';
import './ProviderList.css';

function ServicesEditor({ provider, serviceTypes, onClose }: { provider: Provider; serviceTypes: ServiceType[]; onClose: () => void }) {
  const update = useUpdateProvider();
  const { form, attempt, failed, visible } = useFormFeedback();
  const [value, setValue] = useState(provider.service_types);
  const [error, setError] = useState<string | undefined>();
  const apiFields = update.error instanceof ApiError ? update.error.fields : {};
  const shown = visible({ service_types: error ?? apiFields.service_types }).service_types;
  return (
    <form
      {...form}
      className="services-editor"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!value.length) {
          setError('Choose at least one service.');
          failed();
          return;
        }
        setError(undefined);
        update.mutate({ id: provider.id, patch: { service_types: value } }, { onSuccess: onClose });
      }}
    >
      {shown && <ErrorSummary key={attempt} messages={[shown]} />}
      <CheckboxGroup
        idPrefix={`edit-${provider.id}-service`}
        name="service_types"
        legend={`Services offered by ${provider.name}`}
        options={serviceTypes.map((t) => ({ value: t.name, label: t.label }))}
        value={value}
        error={shown}
        onChange={setValue}
      />
      {update.error && !apiFields.service_types && <ErrorAlert>{errorMessage(update.error)}</ErrorAlert>}
      <div className="actions">
        <PendingButton type="submit" className="btn btn--primary btn--small" pending={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save services'}
        </PendingButton>
        <button type="button" className="btn btn--small" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ProviderCard({ provider, serviceTypes, canAct }: { provider: Provider; serviceTypes: ServiceType[]; canAct: boolean }) {
  const [editing, setEditing] = useState(false);
  const label = (n: string) => serviceTypes.find((t) => t.name === n)?.label ?? n;
  return (
    <li
      className={`card provider-card${provider.active ? '' : ' provider-card--inactive'}`}
      data-testid="provider-row"
      data-provider-id={provider.id}
      data-active={provider.active}
    >
      <div className="provider-card__head">
        <div>
          <h3>
            <Link to={`/admin/providers/${provider.id}`}>{provider.name}</Link>
            {!provider.active && (
              <>
                {' '}
                <InactiveBadge />
              </>
            )}
          </h3>
          <span className="muted small">
            {provider.email}
            {provider.phone ? ` · ${provider.phone}` : ''}
            {provider.user_id === null ? ' · no login' : ''}
          </span>
          <span className="muted small block">
            {provider.time_zone} · {provider.has_calendar ? 'working hours set' : 'no working hours set (any time)'}
          </span>
        </div>
        <div className="provider-card__stats">
          <span title="Active bookings">
            Load <strong>{provider.active_bookings}</strong>
          </span>
          <span title="Reviews (the rank matching uses in brackets)">
            {ratingSummary(provider.rating_mean, provider.rating_count)} <span className="muted">(rank {provider.rating.toFixed(2)})</span>
          </span>
        </div>
      </div>
      {!provider.active ? (
        // Deactivated, they take no work whatever their own switch says; reactivating
        // (on their page) brings the switch back.
        <p className="provider-card__available">Deactivated: offered no work</p>
      ) : canAct ? (
        <AvailabilityToggle provider={provider} label="Available" />
      ) : (
        <p className="provider-card__available">{provider.available ? 'Available for new bookings' : 'Not available for new bookings'}</p>
      )}
      {editing && canAct ? (
        <ServicesEditor provider={provider} serviceTypes={serviceTypes} onClose={() => setEditing(false)} />
      ) : (
        <div className="provider-card__services">
          {provider.service_types.length ? (
            provider.service_types.map((s) => (
              <span key={s} className="chip">
                {label(s)}
              </span>
            ))
          ) : (
            <span className="muted">No services</span>
          )}
          {canAct && (
            <button
              type="button"
              className="btn btn--small"
              onClick={() => setEditing(true)}
              aria-label={`Edit services of ${provider.name}`}
            >
              Edit services
            </button>
          )}
        </div>
      )}
    </li>
  );
}

/** Marks a deactivated provider: offered no work, not assignable. */
export function InactiveBadge() {
  return (
    <span className="badge badge--inactive" data-testid="inactive-badge" title="Deactivated: offered no work, not assignable">
      Inactive
    </span>
  );
}

/**
 * Every provider, each with their load, rating, availability switch and services to edit (an
 * admin's; a viewer reads them), deactivated ones marked.
 */
export function ProviderList() {
  const providers = useProviders();
  const types = useServiceTypes();
  const canAct = useCanAct();
  return (
    <section aria-labelledby="provider-list-title">
      <h2 id="provider-list-title">All providers</h2>
      {providers.isPending ? (
        <Loading label="Loading providers…" />
      ) : providers.isError ? (
        <ErrorAlert error={providers.error} />
      ) : providers.data.length === 0 ? (
        <Empty>No providers yet.{canAct ? ' Add the first one above.' : ''}</Empty>
      ) : (
        <ul className="provider-list">
          {providers.data.map((p) => (
            <ProviderCard key={p.id} provider={p} serviceTypes={types.data ?? []} canAct={canAct} />
          ))}
        </ul>
      )}
    </section>
  );
}
