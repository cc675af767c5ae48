import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';
import { keys, type BookingFilters } from '../../api/queryKeys';
import type {
  Analytics,
  AssignRequest,
  Availability,
  Booking,
  BookingDetail,
  BookingPage,
  HistoryRow,
  NewBooking,
  Reschedule,
  StatusChange,
  User,
} from '../../api/types';

export const PAGE_SIZE = 20;

/** Bookings the caller may see, newest first (or by start), a page at a time (cursor pagination). */
export function useBookings(filters: BookingFilters = {}, pageSize = PAGE_SIZE, opts: { enabled?: boolean } = {}) {
  return useInfiniteQuery({
    enabled: opts.enabled !== false,
    queryKey: keys.bookingList(filters),
    initialPageParam: '' as string,
    queryFn: ({ pageParam, signal }) =>
      api<BookingPage>('/bookings', {
        query: {
          status: filters.status,
          q: filters.q,
          provider_id: filters.provider_id,
          service_type: filters.service_type,
          active: filters.active,
          handled: filters.handled,
          waiting: filters.waiting,
          from: filters.from,
          to: filters.to,
          order: filters.order,
          limit: pageSize,
          cursor: pageParam,
        },
        signal,
      }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

/**
 * The service area's time zone, whose calendar the admin's day filters follow. The API says
 * it with its figures (staff only); a range of one day costs it little. Asked once.
 */
export function useServiceAreaZone(enabled = true) {
  return useQuery({
    queryKey: keys.serviceAreaZone,
    queryFn: async ({ signal }) => {
      const day = new Date().toISOString().slice(0, 10);
      return (await api<Analytics>('/admin/analytics', { query: { from: day, to: day }, signal })).time_zone;
    },
    enabled,
    staleTime: Infinity,
  });
}

const WAITING_JOB_STATES = new Set(['scheduled', 'running', 'retrying']);

/** Whether the assignment job is still working: attempts that fail without a status change emit no event. */
export function assignmentInFlight(b: BookingDetail | undefined): boolean {
  const a = b?.assignment;
  return !!a && !a.exhausted && WAITING_JOB_STATES.has(a.state);
}

function goneSet(qc: QueryClient): ReadonlySet<number> {
  return qc.getQueryData<ReadonlySet<number>>(keys.goneBookings) ?? new Set();
}

/**
 * Whether a booking has just left the signed-in provider's view: once a provider rejects a
 * booking or it is marked a no-show, the API no longer shows it to them (404), so the
 * detail must not be refetched. Decided from the change itself, before any refetch runs.
 */
export function leftProvider(me: User | null | undefined, change: Pick<HistoryRow, 'new_status' | 'provider_id'>): boolean | null {
  if (me?.role !== 'provider' || me.provider_id === null) return null;
  if (change.provider_id !== me.provider_id) return null;
  if (change.new_status === 'rejected' || change.new_status === 'no_show') return true;
  if (change.new_status === 'assigned') return false;
  return null;
}

export function markGone(qc: QueryClient, id: number, gone: boolean) {
  const set = new Set(goneSet(qc));
  if (gone) set.add(id);
  else set.delete(id);
  qc.setQueryData(keys.goneBookings, set);
}

/**
 * What a `booking` event on the live stream means before any refetch: whether the booking has
 * just left (or come back into) the signed-in provider's view. The live layer calls this for
 * each event, ahead of invalidating queries.
 */
export function noteBookingEvent(qc: QueryClient, row: HistoryRow) {
  const left = leftProvider(qc.getQueryData<User | null>(keys.me), row);
  if (left !== null) markGone(qc, row.booking_id, left);
}

export function isGone(qc: QueryClient, id: number): boolean {
  return goneSet(qc).has(id);
}

export function useBooking(id: number, opts: { enabled?: boolean } = {}) {
  const qc = useQueryClient();
  const base = Number.isInteger(id) && id > 0 && opts.enabled !== false;
  return useQuery({
    queryKey: keys.booking(id),
    queryFn: ({ signal }) => api<BookingDetail>(`/bookings/${id}`, { signal }),
    // A function, so it is asked at invalidation time, after markGone() ran.
    enabled: () => base && !isGone(qc, id),
    // Status changes arrive on the event stream. A failed attempt that leaves the status as
    // it was (no provider yet) does not, so poll while the assignment job is still at work.
    refetchInterval: (q) => (assignmentInFlight(q.state.data) ? 1000 : false),
  });
}

/**
 * Creates a booking under an idempotency key. The form keeps one key per booking it means
 * to make: sending it again after a timeout or a 503 reuses the key, so the API answers with
 * the booking the first try made, if it did, instead of making a second.
 */
export function useCreateBooking() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ booking, key }: { booking: NewBooking; key: string }) =>
      api<Booking>('/bookings', { method: 'POST', body: booking, headers: { 'Idempotency-Key': key } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.bookingLists }),
    // A start refused (someone took it first) means the free times shown are out of date.
    onError: (e) => {
      if (e instanceof ApiError && e.fields.starts_at) void qc.invalidateQueries({ queryKey: keys.availabilityAll });
    },
  });
}

/**
 * A status change. `done` is told of each change made, even when the component that asked
 * is gone by then (a job finished on the agenda leaves it before the refetch settles).
 */
export function useChangeStatus(id: number, done?: (b: Booking, c: StatusChange) => void) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (c: StatusChange) => api<Booking>(`/bookings/${id}/status`, { method: 'PATCH', body: c }),
    onSuccess: (b, c) => {
      done?.(b, c);
      const me = qc.getQueryData<User | null>(keys.me);
      const gone = me?.role === 'provider' && b.provider_id !== me.provider_id;
      if (gone) markGone(qc, id, true);
      // Show the new status at once, on the booking's page and in the lists that hold it;
      // the refetch below brings history, allowed moves, and lists that filter by status.
      qc.setQueryData<BookingDetail>(keys.booking(id), (old) =>
        old ? { ...old, ...b, allowed_transitions: gone ? [] : old.allowed_transitions } : old,
      );
      replaceInLists(qc, b, gone);
    },
    onSettled: () => invalidateBooking(qc, id),
  });
}

type BookingPages = InfiniteData<BookingPage, string>;

/** Puts a changed booking into every cached list that holds it, or takes it out if `remove`. */
function replaceInLists(qc: QueryClient, b: Booking, remove: boolean) {
  qc.setQueriesData<BookingPages>({ queryKey: keys.bookingLists }, (data) =>
    data
      ? {
          ...data,
          pages: data.pages.map((p) => ({
            ...p,
            items: remove ? p.items.filter((x) => x.id !== b.id) : p.items.map((x) => (x.id === b.id ? { ...x, ...b } : x)),
          })),
        }
      : data,
  );
}

export function useAssign(bookingId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (b: AssignRequest) => api<Booking>(`/bookings/${bookingId}/assign`, { method: 'POST', body: b }),
    onSettled: () => invalidateBooking(qc, bookingId),
  });
}

export function invalidateBooking(qc: QueryClient, id: number) {
  return Promise.all([
    qc.invalidateQueries({ queryKey: keys.booking(id) }),
    qc.invalidateQueries({ queryKey: keys.bookingLists }),
    qc.invalidateQueries({ queryKey: keys.providers }),
    qc.invalidateQueries({ queryKey: keys.admin }),
  ]);
}

/**
 * The starts at which `serviceType` can be booked in `[from, to)` (at most 14 days), on the
 * service area's 30-minute grid. Slots fill up as others book, so this is refetched often.
 */
export function useAvailability(serviceType: string, from: string, to: string, opts: { enabled?: boolean; moving?: number } = {}) {
  const { moving } = opts;
  return useQuery({
    queryKey: [...keys.availability(serviceType, from, to), moving ?? null],
    queryFn: ({ signal }) => api<Availability>('/availability', { query: { service_type: serviceType, from, to, moving }, signal }),
    enabled: !!serviceType && opts.enabled !== false,
    staleTime: 15_000,
  });
}

/** Moves a booking to another start (the API keeps its length). */
export function useReschedule(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (r: Reschedule) => api<Booking>(`/bookings/${id}`, { method: 'PATCH', body: r }),
    onSettled: () => Promise.all([invalidateBooking(qc, id), qc.invalidateQueries({ queryKey: keys.availabilityAll })]),
  });
}
