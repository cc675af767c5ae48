import type { Provider } from '../../api/types';
import { ErrorAlert } from '../../ui/Feedback';
import { useUpdateProvider } from './api';
import './AvailabilityToggle.css';

/** A switch for whether the worker may assign new bookings to this provider. */
export function AvailabilityToggle({ provider, label = 'Available for new bookings' }: { provider: Provider; label?: string }) {
  const update = useUpdateProvider();
  const id = `available-${provider.id}`;
  const checked = update.isPending && update.variables ? !!update.variables.patch.available : provider.available;
  return (
    <div className="toggle-field">
      <label className="switch" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          role="switch"
          checked={checked}
          disabled={update.isPending}
          onChange={(e) => update.mutate({ id: provider.id, patch: { available: e.target.checked } })}
        />
        <span className="switch__track" aria-hidden="true" />
        <span>{label}</span>
      </label>
      {update.error && <ErrorAlert>Could not change availability. {update.error.message}</ErrorAlert>}
    </div>
  );
}
