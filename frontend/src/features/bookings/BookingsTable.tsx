import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/client';
import { STATUSES, type BookingStatus } from '../../api/types';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { SelectField, TextField } from '../../ui/Field';
import { TableScroll } from '../../ui/Table';
import { useProviderName, useServiceLabel } from '../providers';
import { useBookings } from './api';
import { When } from './When';
import { StatusBadge, statusLabel } from './status';

/**
 * Every booking, for an admin: filters by status and by text (kept in the address, so a
 * filtered view can be shared), a table that links to each booking, and more on demand.
 */
export function BookingsTable() {
  const [params, setParams] = useSearchParams();
  const status = (STATUSES as readonly string[]).includes(params.get('status') ?? '') ? (params.get('status') as BookingStatus) : '';
  const q = params.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const list = useBookings({ status, q });
  const serviceLabel = useServiceLabel();
  const providerName = useProviderName();
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

  const update = (next: { status?: string; q?: string }) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(next)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    setParams(p, { replace: true });
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    update({ q: search.trim() });
  };

  return (
    <>
      <form className="card filters" onSubmit={submit} role="search" aria-label="Filter bookings">
        <SelectField id="filter-status" label="Status" value={status} onChange={(e) => update({ status: e.target.value })}>
          <option value="">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusLabel(s)}
            </option>
          ))}
        </SelectField>
        <TextField
          id="filter-q"
          label="Search"
          type="search"
          placeholder="Name, e-mail, phone, address, provider, #number…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <div className="actions filters__actions">
          <button type="submit" className="btn btn--primary">
            Search
          </button>
          {(q || status) && (
            <button
              type="button"
              className="btn"
              onClick={() => {
                setSearch('');
                setParams(new URLSearchParams(), { replace: true });
              }}
            >
              Clear
            </button>
          )}
        </div>
      </form>
      {list.isPending ? (
        <Loading label="Loading bookings…" />
      ) : !list.data ? (
        <ErrorAlert error={list.error} />
      ) : items.length === 0 ? (
        <Empty>{q || status ? 'No bookings match these filters.' : 'No bookings yet.'}</Empty>
      ) : (
        <>
          <TableScroll label="Table of bookings" className="card card--flush">
            <table className="table" aria-label="Bookings">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Status</th>
                  <th scope="col">Service</th>
                  <th scope="col">When</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Address</th>
                  <th scope="col">Provider</th>
                </tr>
              </thead>
              <tbody>
                {items.map((b) => (
                  <tr key={b.id} data-testid="admin-booking-row" data-booking-id={b.id}>
                    <td>
                      <Link to={`/admin/bookings/${b.id}`} aria-label={`Open booking ${b.id}`}>
                        #{b.id}
                      </Link>
                    </td>
                    <td>
                      <StatusBadge status={b.status} />
                      {b.assignment_exhausted && (
                        <span className="badge badge--exhausted" title="Assignment exhausted">
                          exhausted
                        </span>
                      )}
                    </td>
                    <td>{serviceLabel(b.service_type)}</td>
                    <td className="nowrap">
                      <When booking={b} />
                    </td>
                    <td>
                      {b.customer_name}
                      <span className="block muted small">{b.customer_email}</span>
                    </td>
                    <td>{b.address}</td>
                    <td>{b.provider_id !== null ? providerName(b.provider_id) : <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          <div className="actions">
            {list.hasNextPage ? (
              <button type="button" className="btn" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
                {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted small">
                {items.length} booking{items.length === 1 ? '' : 's'}, all shown.
              </span>
            )}
          </div>
          {list.isError && <ErrorAlert>Could not load more bookings. {errorMessage(list.error)}</ErrorAlert>}
        </>
      )}
    </>
  );
}
