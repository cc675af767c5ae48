import type { BookingFilters } from '../../api/queryKeys';
import { STATUSES, type BookingStatus } from '../../api/types';
import { nextDateKey, startOfDayIn } from '../../ui/time';

/** The order of the admin's bookings list: newest booked first, or soonest start first. */
export type BookingOrder = NonNullable<BookingFilters['order']>;

/**
 * The admin's bookings list filters as the address keeps them ('' for "any"), under the
 * API's names: `status`, `waiting` (`1`: only those waiting for an operator), `q`,
 * `provider_id`, `service_type`, `from` and `to` (days of the service area's calendar, both
 * included; the API takes instants), `order` (`starts_at`; newest first when absent).
 */
export interface AdminBookingFilters {
  status: BookingStatus | '';
  /** Only bookings waiting for an operator (nobody could be assigned, or the search was cancelled). */
  waiting: boolean;
  q: string;
  /** A provider's id, or ''. */
  provider_id: string;
  /** A service type's name, or ''. */
  service_type: string;
  /** Days (YYYY-MM-DD) the booking starts on, both included. */
  from: string;
  to: string;
  order: BookingOrder;
}

export const NO_BOOKING_FILTERS: AdminBookingFilters = {
  status: '',
  waiting: false,
  q: '',
  provider_id: '',
  service_type: '',
  from: '',
  to: '',
  order: 'newest',
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ID = /^[1-9]\d{0,15}$/;

/** The filters the address holds; anything it holds that is not a filter value is ignored. */
export function bookingFiltersFromParams(params: URLSearchParams): AdminBookingFilters {
  const status = params.get('status') ?? '';
  const provider = params.get('provider_id') ?? '';
  const day = (name: string) => {
    const v = params.get(name) ?? '';
    return DAY.test(v) ? v : '';
  };
  return {
    status: (STATUSES as readonly string[]).includes(status) ? (status as BookingStatus) : '',
    waiting: params.get('waiting') === '1',
    q: (params.get('q') ?? '').trim(),
    provider_id: ID.test(provider) ? provider : '',
    service_type: (params.get('service_type') ?? '').trim(),
    from: day('from'),
    to: day('to'),
    order: params.get('order') === 'starts_at' ? 'starts_at' : 'newest',
  };
}

/** The address for `f`: only what differs from no filter, so the plain list stays `/admin`. */
export function bookingFiltersToParams(f: AdminBookingFilters): URLSearchParams {
  const p = new URLSearchParams();
  if (f.status) p.set('status', f.status);
  if (f.waiting) p.set('waiting', '1');
  if (f.q.trim()) p.set('q', f.q.trim());
  if (f.provider_id) p.set('provider_id', f.provider_id);
  if (f.service_type) p.set('service_type', f.service_type);
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  if (f.order !== 'newest') p.set('order', f.order);
  return p;
}

/** Whether `f` narrows the list in any way (the order aside). */
export function isBookingFiltered(f: AdminBookingFilters): boolean {
  return !!(f.status || f.waiting || f.q.trim() || f.provider_id || f.service_type || f.from || f.to);
}

/** Whether the days need the service area's zone to become the API's instants. */
export const needsZone = (f: AdminBookingFilters) => !!(f.from || f.to);

/**
 * The list's query for the API: each day from its start on `zone`'s clock, `to` up to the
 * start of the day after it (the API's `to` is exclusive).
 */
export function bookingListQuery(f: AdminBookingFilters, zone: string): BookingFilters {
  const q: BookingFilters = { status: f.status, q: f.q.trim(), order: f.order };
  if (f.waiting) q.waiting = true;
  if (f.provider_id) q.provider_id = Number(f.provider_id);
  if (f.service_type) q.service_type = f.service_type;
  if (f.from) q.from = startOfDayIn(f.from, zone);
  if (f.to) q.to = startOfDayIn(nextDateKey(f.to), zone);
  return q;
}
