import { useState } from 'react';
import { Link } from 'react-router';
import type { Provider } from '../../api/types';
import { Empty, ErrorAlert, Loading } from '../../ui/Feedback';
import { TableScroll } from '../../ui/Table';
import { dateKeyIn, formatTimeIn, nextDateKey, startOfDayIn } from '../../ui/time';
import { useServiceLabel } from '../providers';
import { useBookings } from './api';
import { StatusBadge } from './status';
import { PendingButton } from '../../ui/PendingButton';
import './ProviderDay.css';

/**
 * A provider's jobs on one day of their own calendar, in time order, for an admin: what
 * they hold, when, and where. Follows the live stream like every list.
 */
export function ProviderDay({ provider }: { provider: Provider }) {
  const tz = provider.time_zone;
  const [day, setDay] = useState(() => dateKeyIn(new Date().toISOString(), tz));
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(day);
  const from = valid ? startOfDayIn(day, tz) : '';
  const to = valid ? startOfDayIn(nextDateKey(day), tz) : '';
  const list = useBookings({ provider_id: provider.id, from, to, order: 'starts_at' }, 100);
  const serviceLabel = useServiceLabel();
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div className="provider-day" data-testid="provider-day">
      <div className="filters">
        <div className="field">
          <label htmlFor={`day-${provider.id}`}>Day ({tz})</label>
          <input id={`day-${provider.id}`} type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        </div>
      </div>
      {!valid ? (
        <ErrorAlert>Choose a day.</ErrorAlert>
      ) : list.isPending ? (
        <Loading label="Loading the day…" />
      ) : !list.data ? (
        <ErrorAlert error={list.error} />
      ) : items.length === 0 ? (
        <Empty>No jobs on this day.</Empty>
      ) : (
        <TableScroll label="The provider's jobs that day">
          <table className="table table--compact" aria-label={`Jobs of ${provider.name} on ${day}`}>
            <thead>
              <tr>
                <th scope="col">Time ({tz})</th>
                <th scope="col">Booking</th>
                <th scope="col">Status</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {items.map((b) => (
                <tr key={b.id} data-testid="day-row" data-booking-id={b.id}>
                  <td className="nowrap">
                    {formatTimeIn(b.starts_at, tz)} – {formatTimeIn(b.ends_at, tz)}
                    {b.overlap_override && <span className="warning-text block">overlap allowed by hand</span>}
                  </td>
                  <td>
                    <Link to={`/admin/bookings/${b.id}`}>
                      #{b.id} · {serviceLabel(b.service_type)}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={b.status} />
                  </td>
                  <td>{b.address}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {list.hasNextPage && (
        <div className="actions">
          <PendingButton type="button" className="btn" onClick={() => list.fetchNextPage()} pending={list.isFetchingNextPage}>
            Load more
          </PendingButton>
        </div>
      )}
    </div>
  );
}
