import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage } from '../../api/client';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { TableScroll } from '../../ui/Table';
import { useProviderName, useProviders, useServiceLabel, useServiceTypes } from '../providers';
import { PAGE_SIZE, useBookings, useServiceAreaZone } from './api';
import { BookingFilterForm } from './BookingFilterForm';
import {
  bookingFiltersFromParams,
  bookingFiltersToParams,
  bookingListQuery,
  isBookingFiltered,
  needsZone,
  type AdminBookingFilters,
} from './listFilters';
import { When } from './When';
import { StatusBadge } from './status';
import { PendingButton } from '../../ui/PendingButton';
import './BookingList.css';

const bookingCount = (n: number) => `${n.toLocaleString()} ${n === 1 ? 'booking' : 'bookings'}`;

/** The bookings list's filters, kept in the address (see listFilters.ts): a reload or a shared link shows the same bookings. */
function useBookingFilters(): [AdminBookingFilters, (f: AdminBookingFilters) => void] {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => bookingFiltersFromParams(params), [params]);
  return [filters, (f) => setParams(bookingFiltersToParams(f), { replace: true })];
}

/**
 * Every booking, for an admin: filters by status, provider, the days it starts on and text,
 * in either order (all kept in the address, so a filtered view can be shared), a table that
 * links to each booking, and more on demand.
 */
export function BookingsTable() {
  const [filters, setFilters] = useBookingFilters();
  const address = bookingFiltersToParams(filters).toString();
  const dated = needsZone(filters);
  const zone = useServiceAreaZone(dated);
  const list = useBookings(bookingListQuery(filters, zone.data ?? 'UTC'), PAGE_SIZE, { enabled: !dated || zone.isSuccess });
  const providers = useProviders();
  const serviceTypes = useServiceTypes();
  const serviceLabel = useServiceLabel();
  const providerName = useProviderName();
  const pages = list.data?.pages ?? [];
  const items = pages.flatMap((p) => p.items);
  // How many match on every page together (the latest page's count; staff always get one).
  const total = pages.length ? (pages[pages.length - 1].total ?? items.length) : 0;

  return (
    <>
      <BookingFilterForm
        key={address}
        filters={filters}
        serviceTypes={serviceTypes.data ?? []}
        providers={providers.data ?? []}
        onChange={setFilters}
      />
      {dated && zone.isError ? (
        <ErrorAlert>Could not learn the service area&apos;s time zone, which the days are on. {errorMessage(zone.error)}</ErrorAlert>
      ) : list.isPending ? (
        <Loading label="Loading bookings…" />
      ) : !list.data ? (
        <ErrorAlert error={list.error} />
      ) : items.length === 0 ? (
        <Empty>{isBookingFiltered(filters) ? 'No bookings match these filters.' : 'No bookings yet.'}</Empty>
      ) : (
        <>
          <p className="bookings-total" data-testid="booking-total" aria-live="polite">
            <strong>{bookingCount(total)}</strong>
            {items.length < total && <span className="muted"> · {items.length.toLocaleString()} shown</span>}
            {dated && zone.data && <span className="muted"> · starting on the days chosen, in {zone.data}</span>}
          </p>
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
                    <td>
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
              <PendingButton type="button" className="btn" onClick={() => list.fetchNextPage()} pending={list.isFetchingNextPage}>
                {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </PendingButton>
            ) : (
              <span className="muted small">All {bookingCount(total)} shown.</span>
            )}
          </div>
          {list.isError && <ErrorAlert>Could not load more bookings. {errorMessage(list.error)}</ErrorAlert>}
        </>
      )}
    </>
  );
}
