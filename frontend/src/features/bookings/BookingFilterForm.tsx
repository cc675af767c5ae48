import { useState, type FormEvent } from 'react';
import { STATUSES, type BookingStatus, type Provider, type ServiceType } from '../../api/types';
import { SelectField, TextField } from '../../ui/Field';
import { isBookingFiltered, NO_BOOKING_FILTERS, type AdminBookingFilters, type BookingOrder } from './listFilters';
import { statusLabel } from './status';

/**
 * The admin's bookings filters. Choices (status, service, provider, days, order) apply at once; the
 * search text on Search or Enter. The parent keys it on the address, so that what it shows is
 * always what the address holds.
 */
/** The status list's choice of the bookings waiting for an operator (not a status of its own). */
const WAITING = 'waiting';

export function BookingFilterForm({
  filters,
  serviceTypes,
  providers,
  onChange,
}: {
  filters: AdminBookingFilters;
  serviceTypes: readonly ServiceType[];
  providers: readonly Provider[];
  onChange: (f: AdminBookingFilters) => void;
}) {
  const [search, setSearch] = useState(filters.q);
  const apply = (next: Partial<AdminBookingFilters>) => onChange({ ...filters, q: search.trim(), ...next });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply({});
  };
  // A provider in the address that the list does not hold still shows as chosen.
  const known = !filters.provider_id || providers.some((p) => String(p.id) === filters.provider_id);
  const knownService = !filters.service_type || serviceTypes.some((t) => t.name === filters.service_type);

  return (
    <form className="card filters booking-filters" onSubmit={submit} role="search" aria-label="Filter bookings" noValidate>
      <SelectField
        id="filter-status"
        label="Status"
        value={filters.waiting ? WAITING : filters.status}
        onChange={(e) =>
          e.target.value === WAITING
            ? apply({ status: '', waiting: true })
            : apply({ status: e.target.value as BookingStatus | '', waiting: false })
        }
      >
        <option value="">All statuses</option>
        <option value={WAITING}>Waiting for an operator</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {statusLabel(s)}
          </option>
        ))}
      </SelectField>
      <SelectField
        id="filter-service"
        label="Service"
        value={filters.service_type}
        onChange={(e) => apply({ service_type: e.target.value })}
      >
        <option value="">All services</option>
        {serviceTypes.map((t) => (
          <option key={t.name} value={t.name}>
            {t.label}
          </option>
        ))}
        {!knownService && <option value={filters.service_type}>{filters.service_type}</option>}
      </SelectField>
      <SelectField
        id="filter-provider"
        label="Provider"
        value={filters.provider_id}
        onChange={(e) => apply({ provider_id: e.target.value })}
      >
        <option value="">All providers</option>
        {providers.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
            {p.active ? '' : ' (inactive)'}
          </option>
        ))}
        {!known && <option value={filters.provider_id}>Provider #{filters.provider_id}</option>}
      </SelectField>
      <TextField
        id="filter-from"
        label="Starts from"
        type="date"
        value={filters.from}
        max={filters.to || undefined}
        onChange={(e) => apply({ from: e.target.value })}
      />
      <TextField
        id="filter-to"
        label="Starts until"
        type="date"
        value={filters.to}
        min={filters.from || undefined}
        onChange={(e) => apply({ to: e.target.value })}
      />
      <SelectField id="filter-order" label="Order" value={filters.order} onChange={(e) => apply({ order: e.target.value as BookingOrder })}>
        <option value="newest">Newest first</option>
        <option value="starts_at">Soonest start first</option>
      </SelectField>
      <TextField
        id="filter-q"
        label="Search"
        type="search"
        maxLength={200}
        placeholder="Name, e-mail, phone, address, provider, #number…"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <div className="actions filters__actions">
        <button type="submit" className="btn btn--primary">
          Search
        </button>
        {(isBookingFiltered(filters) || filters.order !== 'newest') && (
          <button type="button" className="btn" onClick={() => onChange(NO_BOOKING_FILTERS)}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
