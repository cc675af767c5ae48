import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, newIdempotencyKey } from '../../api/client';
import { keys, type BookingFilters } from '../../api/queryKeys';
import type { Booking, BookingDetail, BookingStatus, NewBooking, Page, ServiceType } from '../../api/types';

export function useServiceTypes() {
  return useQuery({
    queryKey: keys.serviceTypes,
    queryFn: () => api<ServiceType[]>('/service-types'),
    staleTime: 10 * 60_000,
  });
}

/** Label of a service type by name, falling back to the name while the list loads. */
export function useServiceLabel(): (name: string) => string {
  const { data } = useServiceTypes();
  return (name) => data?.find((t) => t.name === name)?.label ?? name;
}

export const PAGE_SIZE = 20;

/** Bookings the caller may see, newest first, a page at a time (cursor pagination). */
export function useBookings(filters: BookingFilters = {}, pageSize = PAGE_SIZE) {
  return useInfiniteQuery({
    queryKey: keys.bookingList(filters),
    initialPageParam: '' as string,
    queryFn: ({ pageParam, signal }) =>
      api<Page<Booking>>('/bookings', {
        query: { status: filters.status, q: filters.q, provider_id: filters.provider_id, limit: pageSize, cursor: pageParam },
        signal,
      }),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
}

const WAITING_JOB_STATES = new Set(['scheduled', 'running', 'retrying']);

/** Whether the assignment job is still working: attempts that fail without a status change emit no event. */
export function assignmentInFlight(b: BookingDetail | undefined): boolean {
  const a = b?.assignment;
  return !!a && !a.exhausted && WAITING_JOB_STATES.has(a.state);
}

export function useBooking(id: number, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: keys.booking(id),
    queryFn: ({ signal }) => api<BookingDetail>(`/bookings/${id}`, { signal }),
    enabled: Number.isInteger(id) && id > 0 && opts.enabled !== false,
    // Status changes arrive on the event stream. A failed attempt that leaves the status as
    // it was (no provider yet) does not, so poll while the assignment job is still at work.
    refetchInterval: (q) => (assignmentInFlight(q.state.data) ? 1000 : false),
  });
}

export function useCreateBooking() {
  const qc = useQueryClient();
  return useMutation({
    // A new key per submission attempt: the API answers a repeated key with the first result.
    mutationFn: (b: NewBooking) =>
      api<Booking>('/bookings', { method: 'POST', body: b, headers: { 'Idempotency-Key': newIdempotencyKey() } }),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.bookingLists }),
  });
}

export interface StatusChange {
  status: BookingStatus;
  reason?: string;
  override?: boolean;
  expected_version?: number;
}

export function useChangeStatus(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (c: StatusChange) => api<Booking>(`/bookings/${id}/status`, { method: 'PATCH', body: c }),
    onSettled: () => invalidateBooking(qc, id),
  });
}

export function invalidateBooking(qc: ReturnType<typeof useQueryClient>, id: number) {
  return Promise.all([
    qc.invalidateQueries({ queryKey: keys.booking(id) }),
    qc.invalidateQueries({ queryKey: keys.bookingLists }),
    qc.invalidateQueries({ queryKey: keys.providers }),
    qc.invalidateQueries({ queryKey: keys.admin }),
  ]);
}
